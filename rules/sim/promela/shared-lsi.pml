/*
 * The shared-LSI scenario in Promela: an independent model of what irqtriage's explorer
 * (src/sim) checks, written from the semantics notes (docs/irq-mapping-semantics.md of the
 * shared project folder) and the scenario's meaning, not from the TypeScript: descriptors
 * with sets of users and of irqactions, the domain's reverse map, the lowest free virq.
 * test/sim/spin-cross-check.slow.test.ts runs spin and the explorer on the same
 * configurations and compares the violated properties with their shortest trace lengths
 * (pan -DBFS), and, for some, the states reached (-DDUMP_STATES).
 *
 * NDEV PCI functions behind one host bridge; function d's INTx pin routes to legacy line
 * d mod NLINES (an LSI, level-triggered, requested with IRQF_SHARED). Each function is plugged
 * up to ROUNDS times; while plugged its driver may probe (success, or a failure after
 * irq_create_mapping, or a failure after request_irq; a failed probe may be tried again later:
 * deferred probe, rebind); a bound function is removed before it is unplugged.
 *
 *   spin -DNDEV=3 -DNLINES=2 -DROUNDS=2 -DSEM=MAINLINE -DDRIVER=BALANCED -a shared-lsi.pml
 *   gcc -O2 -DBFS -DNOREDUCE -o pan pan.c && ./pan -c0 -w20
 *
 * SEM      MAINLINE    irq_create_mapping is idempotent per (domain, hwirq): a second create
 *                      returns the existing virq with no side effect; irq_dispose_mapping
 *                      destroys the mapping whatever the number of creates or users.
 *          REFCOUNT_V3 the 2020 proposal: create of an existing mapping does kobject_get,
 *                      irq_dispose_mapping does kobject_put, the mapping is torn down at zero.
 * DRIVER   BALANCED    probe: irq_of_parse_and_map + request_irq; remove: free_irq +
 *                      irq_dispose_mapping; the error path undoes what probe did.
 *          NEVER_DISPOSES  the same without irq_dispose_mapping anywhere.
 *          SHARED_DISPOSE  RFC 2/2: pcibios maps the line at plug, the driver requests and
 *                      frees it, BUS_NOTIFY_DEL_DEVICE disposes it per function.
 *
 * Properties. Each step is one d_step; a violation sets a flag and the assertion at the end of
 * the step names it ("assertion violated !(premature_unmap)"). The flags are cleared in the
 * same step, so they are 0 in every stored state and cost no states. Run pan with -c0: it
 * goes on past each violation (every reachable property is found, as in the explorer) and
 * prints a line whenever the violated assertion differs from the previous one.
 *   premature_unmap  a mapping is torn down while another function still uses it (holds it:
 *                    got its virq from create, or has a handler on it), or request_irq on a
 *                    virq whose mapping was torn down under the caller.
 *   double_dispose   irq_dispose_mapping of a virq whose mapping the caller no longer has: it
 *                    was torn down (a dead number) or torn down and the number reused (a
 *                    handler requested through the stale number does not make it the
 *                    caller's mapping).
 *   dead_free        free_irq of a handler that is not there: the descriptor is gone, or the
 *                    number now belongs to a new descriptor that has no action of this device
 *                    ("Trying to free already-free IRQ").
 *   leak             every function is unplugged and a mapping (a live descriptor) is left.
 *   (hierarchy: only for hierarchical MSI domains; it cannot happen on legacy INTx lines.)
 */

#ifndef NDEV
#define NDEV 2
#endif
#ifndef NLINES
#define NLINES 1
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif

#define MAINLINE 0
#define REFCOUNT_V3 1
#ifndef SEM
#define SEM MAINLINE
#endif

#define BALANCED 0
#define NEVER_DISPOSES 1
#define SHARED_DISPOSE 2
#ifndef DRIVER
#define DRIVER BALANCED
#endif

/*
 * kobject references beyond this are not explored (a create that would pass it is not taken).
 * Only NEVER_DISPOSES under REFCOUNT_V3 gets there (each failed and retried probe leaks one
 * reference); nothing in that model reads the count, so the bound hides no property.
 */
#ifndef MAXREF
#define MAXREF (NDEV + 2)
#endif

/* Numbers: virq 0 = "no interrupt" (what irq_create_mapping returns on failure); at most one
 * live mapping per line, so NLINES numbers suffice. Allocation takes the lowest free number,
 * as irq_domain_alloc_descs() does, so a freed number is reused by the next new mapping. */
#define NVIRQ (NLINES + 1)

#define OUT 0
#define PLUGGED 1
#define BOUND 2

#define BIT(d) (1 << (d))

/* irq_desc + irq_data of one virq. users and actions are sets of functions (bit d):
 *   users    functions whose driver data holds THIS mapping (the one they created or found);
 *   actions  functions with an irqaction (request_irq'd handler, dev_id = the function). */
typedef Desc {
	bit alive;
	byte hwirq;     /* line of the legacy domain */
	byte ref;       /* desc->kobj kref (REFCOUNT_V3; 1 while alive under MAINLINE) */
	byte users;
	byte actions
};
Desc desc[NVIRQ];
/* The legacy domain's reverse map: hwirq -> virq (0 = not mapped): what irq_find_mapping reads. */
byte revmap[NLINES];

/* Per function: where it is, how often it was plugged, and the virq its driver stored. */
byte phase[NDEV];
byte plugs[NDEV];
byte irq[NDEV];

/* Set during a step, asserted and cleared at its end. */
bit premature_unmap;
bit double_dispose;
bit dead_free;
bit leak;

/* Scratch of one step, reset to 0 at its end (so constant in stored states; not `hidden`,
 * which pan's breadth-first mode, -DBFS, does not allow). */
byte v;
byte w;
byte k;
byte ok;

/* The mapping of virq vv goes away: irq_domain_disassociate + irq_free_desc (or, in v3,
 * irq_kobj_release doing the same). Anyone else still holding it, or with a handler on it, is
 * a victim. */
inline teardown(vv, actor) {
	if
	:: ((desc[vv].users | desc[vv].actions) & ~BIT(actor)) != 0 -> premature_unmap = 1
	:: else -> skip
	fi;
	revmap[desc[vv].hwirq] = 0;
	desc[vv].alive = 0;
	desc[vv].hwirq = 0;
	desc[vv].ref = 0;
	desc[vv].users = 0;
	desc[vv].actions = 0
}

/* irq_of_parse_and_map -> irq_create_mapping(domain, hwirq of function d). ok = 0 when the
 * step must not be taken (reference bound). */
inline create(d) {
	v = revmap[d % NLINES];
	if
	:: v != 0 ->
#if SEM == REFCOUNT_V3
		if
		:: desc[v].ref >= MAXREF -> ok = 0
		:: else -> desc[v].ref++
		fi
#else
		skip
#endif
	:: else ->
		/* lowest free virq number */
		w = 1;
		do
		:: w < NVIRQ && desc[w].alive -> w++
		:: else -> break
		od;
		assert(w < NVIRQ);
		v = w;
		desc[v].alive = 1;
		desc[v].hwirq = d % NLINES;
		desc[v].ref = 1;
		desc[v].users = 0;
		desc[v].actions = 0;
		revmap[d % NLINES] = v
	fi;
	if
	:: ok != 0 ->
		irq[d] = v;
		desc[v].users = desc[v].users | BIT(d)
	:: else -> skip
	fi
}

/* request_irq(irq[d], ..., IRQF_SHARED, dev = d): ok = 0 on failure. */
inline request(d) {
	v = irq[d];
	if
	:: v == 0 -> ok = 0
	:: v != 0 && !desc[v].alive -> premature_unmap = 1; ok = 0
	:: v != 0 && desc[v].alive ->
		if
		:: (desc[v].users & BIT(d)) == 0 -> premature_unmap = 1   /* a reused number */
		:: else -> skip
		fi;
		desc[v].actions = desc[v].actions | BIT(d)
	fi
}

/* free_irq(irq[d], dev = d): called only by a driver that did request it. */
inline free_irq(d) {
	v = irq[d];
	if
	:: !desc[v].alive -> dead_free = 1
	:: desc[v].alive && (desc[v].actions & BIT(d)) == 0 -> dead_free = 1
	:: desc[v].alive && (desc[v].actions & BIT(d)) != 0 ->
		desc[v].actions = desc[v].actions & ~BIT(d)
	fi
}

/* irq_dispose_mapping(irq[d]); the driver then forgets the number. */
inline dispose(d) {
	v = irq[d];
	if
	:: v == 0 -> skip
	:: v != 0 && !desc[v].alive -> double_dispose = 1
	:: v != 0 && desc[v].alive ->
		if
		:: (desc[v].users & BIT(d)) == 0 -> double_dispose = 1   /* someone else's mapping now */
		:: else -> skip
		fi;
		desc[v].users = desc[v].users & ~BIT(d);
#if SEM == REFCOUNT_V3
		desc[v].ref--;
		if
		:: desc[v].ref == 0 -> teardown(v, d)
		:: else -> skip
		fi
#else
		teardown(v, d)
#endif
	fi;
	irq[d] = 0
}

/* The driver's data is gone (failed probe, or the pci_dev is removed): the number it held is
 * dropped without a call; a reference it took stays counted in the descriptor. */
inline forget(d) {
	v = irq[d];
	if
	:: v != 0 && desc[v].alive -> desc[v].users = desc[v].users & ~BIT(d)
	:: else -> skip
	fi;
	irq[d] = 0
}

inline check_leak() {
	k = 0;
	do
	:: k < NDEV && phase[k] == OUT -> k++
	:: else -> break
	od;
	if
	:: k == NDEV ->
		w = 1;
		do
		:: w < NVIRQ && !desc[w].alive -> w++
		:: else -> break
		od;
		if
		:: w < NVIRQ -> leak = 1
		:: else -> skip
		fi
	:: else -> skip
	fi
}

/*
 * -DDUMP_STATES (and gcc -DPRINTF): print every state a step enters, in the neutral form the
 * cross-check compares with the explorer's states (SimMachine.describe):
 *   S dev<d+1>:<phase>,<plugs>,<virq>,<uses> ... virq<n>:<alive>,<line>,<handlers> ...
 * uses: bound, its handler sits on the live descriptor behind its number; otherwise it holds
 * the mapping behind its number (created or found it, not torn down since).
 */
#ifdef DUMP_STATES
inline dump() {
	k = 0;
	printf("S");
	do
	:: k < NDEV ->
		printf(" dev%d:%d,%d,%d,", k + 1, phase[k], plugs[k], irq[k]);
		if
		:: phase[k] == BOUND -> printf("%d", irq[k] != 0 && (desc[irq[k]].actions & BIT(k)) != 0)
		:: else -> printf("%d", irq[k] != 0 && (desc[irq[k]].users & BIT(k)) != 0)
		fi;
		k++
	:: else -> break
	od;
	k = 1;
	do
	:: k < NVIRQ ->
		printf(" virq%d:%d,%d,", k, desc[k].alive, desc[k].hwirq);
		w = 0;
		ok = 0;
		do
		:: w < NDEV -> ok = ok + ((desc[k].actions >> w) & 1); w++
		:: else -> break
		od;
		printf("%d", ok);
		k++
	:: else -> break
	od;
	printf("\n")
}
#else
inline dump() {
	skip
}
#endif

inline report() {
	assert(!premature_unmap);
	assert(!double_dispose);
	assert(!dead_free);
	assert(!leak);
	premature_unmap = 0;
	double_dispose = 0;
	dead_free = 0;
	leak = 0;
	v = 0;
	w = 0;
	k = 0;
	ok = 0;
	dump();
	k = 0;
	w = 0;
	ok = 0
}

/*
 * The driver. probe(d, fail): fail = 0 no injected failure, 1 a failure right after
 * irq_of_parse_and_map, 2 a failure right after request_irq (ok: 1 bound, 2 error after the
 * create, 3 error after request_irq, 0 step not taken). The error path undoes, in reverse,
 * what succeeded; the function stays plugged and may be probed again.
 */
#if DRIVER == SHARED_DISPOSE
/* pcibios maps the INTx line at plug (pci_read_irq_line -> irq_create_mapping, the number in
 * pdev->irq); the driver only requests and frees it; BUS_NOTIFY_DEL_DEVICE disposes it per
 * function (RFC 2/2). The number belongs to the pci_dev, so it survives a failed probe. */
inline plug(d) {
	ok = 1;
	create(d);
	if
	:: ok != 0 -> plugs[d]++; phase[d] = PLUGGED
	:: else -> skip
	fi
}
inline probe(d, fail) {
	ok = 1;
	request(d);
	if
	:: ok == 0 -> skip   /* request_irq failed: nothing to undo */
	:: ok != 0 && fail == 2 -> free_irq(d)
	:: ok != 0 && fail != 2 -> phase[d] = BOUND
	fi
}
inline remove(d) {
	free_irq(d)
}
inline unplug(d) {
	dispose(d);
	forget(d)
}
#else
inline plug(d) {
	plugs[d]++;
	phase[d] = PLUGGED
}
inline probe(d, fail) {
	ok = 1;
	create(d);
	if
	:: ok == 0 -> skip   /* not taken: the reference bound */
	:: else ->
		if
		:: fail == 1 -> ok = 2
		:: else ->
			request(d);
			if
			:: ok == 0 -> ok = 2   /* request_irq failed */
			:: ok != 0 && fail == 2 -> ok = 3
			:: else -> skip
			fi
		fi;
		if
		:: ok == 1 -> phase[d] = BOUND
		:: ok >= 2 ->
			if
			:: ok == 3 -> free_irq(d)
			:: else -> skip
			fi;
#if DRIVER == BALANCED
			dispose(d);
#endif
			/* the driver's data is gone with the failed probe */
			forget(d)
		fi
	fi
}
inline remove(d) {
	free_irq(d);
#if DRIVER == BALANCED
	dispose(d);
#endif
	forget(d)
}
inline unplug(d) {
	forget(d)
}
#endif

active [NDEV] proctype Function() {
	byte d = _pid;
	/* Every function out with no plug left is a valid end state. */
end:	do
	:: d_step { phase[d] == OUT && plugs[d] < ROUNDS -> plug(d); report() }
	:: d_step { phase[d] == PLUGGED -> probe(d, 0); report() }
#if DRIVER != SHARED_DISPOSE
	:: d_step { phase[d] == PLUGGED -> probe(d, 1); report() }
#endif
	:: d_step { phase[d] == PLUGGED -> probe(d, 2); report() }
	:: d_step { phase[d] == BOUND -> remove(d); unplug(d); phase[d] = OUT; check_leak(); report() }
	:: d_step { phase[d] == PLUGGED -> unplug(d); phase[d] = OUT; check_leak(); report() }
	od
}
