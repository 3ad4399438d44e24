import { beforeAll, describe, expect, it } from "vitest";
import type { BalanceRules } from "../../src/analysis/balance-rules.js";
import { createCParser } from "../../src/analysis/c-parser.js";
import { classifyUnits } from "../../src/analysis/classify-units.js";
import { extractFileFacts } from "../../src/analysis/extract-file-facts.js";
import { loadBalanceRules } from "../../src/analysis/io/load-balance-rules.js";
import type { Finding } from "../../src/analysis/scan-result.js";

let rules: BalanceRules;
const parser = createCParser();
beforeAll(async () => {
  rules = await loadBalanceRules();
});

function classify(files: Record<string, string>): Finding[] {
  const facts = Object.entries(files).map(([f, text]) => extractFileFacts(f, text, rules, parser));
  return classifyUnits(facts, rules);
}
function one(text: string, file = "drivers/foo/foo.c"): Finding {
  const fs = classify({ [file]: text });
  expect(fs).toHaveLength(1);
  return fs[0]!;
}
const lineOf = (text: string, needle: string): number => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

const platformDriver = (probe: string, remove = ""): string => `
#include <linux/irqdomain.h>
struct foo { int irq; struct irq_domain *d; };
${probe}
${remove}
static struct platform_driver foo_driver = {
	.probe = foo_probe,
	${remove ? ".remove = foo_remove," : ""}
	.driver = { .name = "foo" },
};
module_platform_driver(foo_driver);
`;

describe("balance classes on small C files", () => {
  it("balanced: create in probe (through a static helper), dispose in remove", () => {
    const src = platformDriver(
      `static int foo_map(struct foo *p, struct device_node *np)
{
	p->irq = irq_of_parse_and_map(np, 0);
	return p->irq ? 0 : -EINVAL;
}
static int __init foo_probe(struct platform_device *pdev)
{
	struct foo *p = platform_get_drvdata(pdev);
	return foo_map(p, pdev->dev.of_node);
}`,
      `static int foo_remove(struct platform_device *pdev)
{
	struct foo *p = platform_get_drvdata(pdev);
	irq_dispose_mapping(p->irq);
	return 0;
}`,
    );
    const f = one(src);
    expect(f.class).toBe("balanced");
    expect(f.confidence).toBe("high");
    expect(f.create[0]).toMatchObject({ line: lineOf(src, "irq_of_parse_and_map"), function: "foo_map", path: "probe" });
    expect(f.release[0]).toMatchObject({ line: lineOf(src, "irq_dispose_mapping"), function: "foo_remove", path: "remove" });
    expect(f.drivers).toEqual(["platform_driver foo_driver"]);
  });

  it("error-path-only: dispose under a goto label after the success return", () => {
    const src = platformDriver(`static int foo_probe(struct platform_device *pdev)
{
	int ret, irq;
	irq = irq_of_parse_and_map(pdev->dev.of_node, 0);
	ret = request_irq(irq, foo_isr, 0, "foo", NULL);
	if (ret)
		goto err_dispose;
	return 0;

err_dispose:
	irq_dispose_mapping(irq);
	return ret;
}`);
    const f = one(src);
    expect(f.class).toBe("error-path-only");
    expect(f.release[0]?.path).toBe("error-unwind(probe)");
  });

  it("error-path-only: dispose in an `if (ret) { ...; return ret; }` branch", () => {
    const src = platformDriver(`static int foo_probe(struct platform_device *pdev)
{
	int ret, irq = irq_create_mapping(NULL, 5);
	ret = foo_hw_init(pdev);
	if (ret) {
		irq_dispose_mapping(irq);
		return ret;
	}
	return 0;
}`);
    expect(one(src).class).toBe("error-path-only");
  });

  it("never-disposes: create in probe, nothing else", () => {
    const src = platformDriver(`static int foo_probe(struct platform_device *pdev)
{
	int irq = of_irq_get(pdev->dev.of_node, 0);
	return irq < 0 ? irq : 0;
}`);
    const f = one(src);
    expect(f.class).toBe("never-disposes");
    expect(f.release).toEqual([]);
  });

  it("shared-dispose: per-device dispose in a bus notifier (the RFC 2/2 shape)", () => {
    const src = `
static int map_line(struct pci_dev *pdev)
{
	pdev->irq = irq_create_mapping(NULL, pdev->pin);
	return 0;
}
static int unmap_line(struct notifier_block *nb, unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	if (action == BUS_NOTIFY_DEL_DEVICE)
		irq_dispose_mapping(pdev->irq);
	return NOTIFY_DONE;
}
static struct notifier_block unmap_nb = { .notifier_call = unmap_line };
static int reg(void) { return bus_register_notifier(&pci_bus_type, &unmap_nb); }
arch_initcall(reg);
void pcibios_setup_device(struct pci_dev *dev) { map_line(dev); }
void pcibios_bus_add_device(struct pci_dev *dev) { pcibios_setup_device(dev); }
`;
    const f = one(src, "arch/powerpc/kernel/pci-common.c");
    expect(f.class).toBe("shared-dispose");
    expect(f.release[0]).toMatchObject({ function: "unmap_line", line: lineOf(src, "irq_dispose_mapping") });
    expect(f.release[0]?.path).toContain("BUS_NOTIFY_DEL_DEVICE");
    expect(f.create[0]).toMatchObject({ function: "map_line", path: "pcibios" });
  });

  it("bus notifier switch: ADD creates (setup), DEL/UNBOUND (fallthrough labels) disposes per device", () => {
    const src = `
static int foo_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		dev->irq = irq_create_mapping(foo_domain, to_hw(dev));
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
	case BUS_NOTIFY_DEL_DEVICE:
		irq_dispose_mapping(dev->irq);
		break;
	}
	return NOTIFY_OK;
}
static struct notifier_block foo_nb = { .notifier_call = foo_notify };
`;
    const f = one(src);
    expect(f.class).toBe("shared-dispose");
    expect(f.create[0]?.path).toBe("notifier:BUS_NOTIFY_ADD_DEVICE");
    expect(f.release[0]?.path).toBe("notifier:BUS_NOTIFY_DEL_DEVICE|BUS_NOTIFY_UNBOUND_DRIVER");
  });

  it("shared-dispose: an irqchip's remove disposes every hwirq it finds (list_for_each style and for loops)", () => {
    const src = `
static int intc_remove(struct platform_device *pdev)
{
	struct intc *p = platform_get_drvdata(pdev);
	int hw;

	for (hw = 0; hw < p->nr; hw++)
		irq_dispose_mapping(irq_find_mapping(p->domain, hw));
	irq_domain_remove(p->domain);
	return 0;
}
static struct platform_driver intc_driver = { .remove = intc_remove };
`;
    const f = one(src, "drivers/irqchip/irq-x.c");
    expect(f.class).toBe("shared-dispose");
    expect(f.reason).toMatch(/looked up by hwirq/);
  });

  it("balanced, not shared: the kref-guarded dispose that landed in powerpc (5.11)", () => {
    const src = `
static void intx_release(struct kref *kref)
{
	struct vi *vi = container_of(kref, struct vi, kref);
	irq_dispose_mapping(vi->virq);
}
static int unmap_line(struct notifier_block *nb, unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	if (action == BUS_NOTIFY_DEL_DEVICE) {
		struct vi *vi;
		list_for_each_entry(vi, &intx_list, list_node) {
			if (vi->virq == pdev->irq) {
				kref_put(&vi->kref, intx_release);
				break;
			}
		}
	}
	return NOTIFY_DONE;
}
static struct notifier_block nb = { .notifier_call = unmap_line, };
static int map_line(struct pci_dev *pdev) { pdev->irq = irq_create_mapping(NULL, 3); return 0; }
void pcibios_bus_add_device(struct pci_dev *dev) { map_line(dev); }
`;
    const f = one(src);
    expect(f.class).toBe("balanced");
    expect(f.release[0]?.path).toContain("refcounted");
  });

  it("create-twice-dispose-once: gpio to_irq creates on every call, remove disposes once", () => {
    const src = `
static int foo_to_irq(struct gpio_chip *gc, unsigned int off)
{
	struct foo *p = gpiochip_get_data(gc);
	return irq_create_mapping(p->domain, off);
}
static int foo_probe(struct platform_device *pdev)
{
	p->gc.to_irq = foo_to_irq;
	return 0;
}
static int foo_remove(struct platform_device *pdev)
{
	int i;
	for (i = 0; i < 32; i++)
		irq_dispose_mapping(irq_find_mapping(p->domain, i));
	return 0;
}
static struct platform_driver foo_driver = { .probe = foo_probe, .remove = foo_remove };
`;
    const f = one(src);
    expect(f.class).toBe("create-twice-dispose-once");
    expect(f.create[0]?.path).toBe("to-irq");
  });

  it("create-twice-dispose-once: the same mapping created in probe and again in resume, disposed once", () => {
    const src = platformDriver(
      `static int foo_resume(struct device *dev)
{
	p->irq = irq_create_mapping(p->domain, 0);
	return 0;
}
static int foo_probe(struct platform_device *pdev)
{
	p->irq = irq_create_mapping(p->domain, 0);
	return 0;
}`,
      `static int foo_remove(struct platform_device *pdev)
{
	irq_dispose_mapping(p->irq);
	return 0;
}`,
    );
    const f = one(src);
    expect(f.class).toBe("create-twice-dispose-once");
    expect(f.reason).toMatch(/more places than it disposes/);
  });

  it("dispose-unowned: remove disposes the irq platform_get_irq() gave it", () => {
    const src = platformDriver(
      `static int foo_probe(struct platform_device *pdev)
{
	p->irq = platform_get_irq(pdev, 0);
	return 0;
}`,
      `static int foo_remove(struct platform_device *pdev)
{
	irq_dispose_mapping(p->irq);
	return 0;
}`,
    );
    expect(one(src).class).toBe("dispose-unowned");
  });

  it("library: an exported function that hands the virq to its caller", () => {
    const src = `
int foo_get_irq(struct device_node *np, int i)
{
	int virq = irq_of_parse_and_map(np, i);
	return virq;
}
EXPORT_SYMBOL_GPL(foo_get_irq);
`;
    expect(one(src, "drivers/base/foo.c").class).toBe("library");
  });
});

describe("lifecycle roots", () => {
  const rootsOf = (text: string): string[] =>
    extractFileFacts("x.c", text, rules, parser)
      .roots.map((r) => `${r.function}:${r.kind}:${r.phase}`)
      .sort();

  it("module_init/module_exit and initcalls", () => {
    const src = `
static int __init foo_init(void) { foo_virq = irq_create_mapping(NULL, 1); return 0; }
static void __exit foo_exit(void) { irq_dispose_mapping(foo_virq); }
module_init(foo_init);
module_exit(foo_exit);
`;
    expect(rootsOf(src)).toEqual(["foo_exit:module-exit:teardown", "foo_init:module-init:setup"]);
    const f = classifyUnits([extractFileFacts("drivers/x.c", src, rules, parser)], rules)[0]!;
    expect(f.class).toBe("balanced");
    expect(f.confidence).toBe("high");
  });

  it("devm_add_action_or_reset callbacks run at teardown", () => {
    const src = `
static void foo_dispose(void *data) { irq_dispose_mapping(*(int *)data); }
static int foo_probe(struct platform_device *pdev)
{
	virq = irq_create_mapping(d, 0);
	return devm_add_action_or_reset(&pdev->dev, foo_dispose, &virq);
}
static struct spi_driver foo_spi = { .probe = foo_probe };
`;
    expect(rootsOf(src)).toEqual(["foo_dispose:devm-action:teardown", "foo_probe:probe:setup"]);
    const f = classifyUnits([extractFileFacts("drivers/x.c", src, rules, parser)], rules)[0]!;
    expect(f.class).toBe("balanced");
    expect(f.release[0]?.path).toBe("devm-action");
  });

  it("irq_domain_ops .alloc/.free are paired by the core", () => {
    const src = `
static int foo_alloc(struct irq_domain *d, unsigned int virq, unsigned int n, void *arg)
{
	return irq_domain_alloc_irqs_parent(d, virq, n, arg);
}
static const struct irq_domain_ops foo_ops = {
	.alloc = foo_alloc,
	.free = irq_domain_free_irqs_common,
};
`;
    expect(rootsOf(src)).toEqual(["foo_alloc:domain-alloc:setup"]);
    const facts = extractFileFacts("drivers/irqchip/x.c", src, rules, parser);
    expect(facts.roots[0]?.peer).toMatchObject({ field: "free", value: "irq_domain_free_irqs_common" });
    const f = classifyUnits([facts], rules)[0]!;
    expect(f.class).toBe("balanced");
    expect(f.release[0]).toMatchObject({ function: "irq_domain_free_irqs_common", api: ".free" });
  });

  it.each([
    ["pci_driver .remove", "static struct pci_driver d = { .remove = fn };", "fn:remove:teardown"],
    ["i2c_driver .probe_new", "static struct i2c_driver d = { .probe_new = fn };", "fn:probe:setup"],
    ["platform_driver .shutdown", "static struct platform_driver d = { .shutdown = fn };", "fn:shutdown:teardown"],
    ["irq_domain_ops .map", "static const struct irq_domain_ops o = { .map = fn };", "fn:domain-map:setup"],
    ["irq_domain_ops .unmap", "static const struct irq_domain_ops o = { .unmap = fn };", "fn:domain-unmap:teardown"],
    ["machine_desc .init_irq", "DT_MACHINE_START(X, \"x\") .init_irq = fn, MACHINE_END", "fn:boot:setup"],
    ["subsys_initcall", "subsys_initcall(fn);", "fn:initcall:setup"],
    ["machine_device_initcall", "machine_device_initcall(pseries, fn);", "fn:initcall:setup"],
    ["cpuhp_setup_state", "static int __init t(void) { return cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, \"x\", fn, NULL); }", "fn:cpuhp-online:setup"],
    ["notifier_block .notifier_call", "static struct notifier_block nb = { .notifier_call = fn };", "fn:notifier:notifier"],
    ["assigned gpio to_irq", "static int p(struct platform_device *pdev) { gc->to_irq = fn; return 0; }", "fn:to-irq:repeat"],
  ])("root kind: %s", (_name, decl, want) => {
    const src = `static int fn(void *a) { return irq_create_mapping(NULL, 1); }\n${decl}\n`;
    expect(rootsOf(src)).toContain(want);
  });

  it("struct fields are qualified: gpio_chip.free is not irq_domain_ops.free", () => {
    const src = `
static void foo_free(struct gpio_chip *gc, unsigned int off) { irq_dispose_mapping(irq_find_mapping(d, off)); }
static struct gpio_chip foo_chip = { .free = foo_free };
`;
    expect(rootsOf(src)).toEqual(["foo_free:gpio-free:teardown"]);
  });

  it("kernel macros: __devinit, K&R-looking module_init, IRQCHIP_DECLARE", () => {
    const src = `
static int __devinit foo_of_init(struct device_node *np, struct device_node *parent)
{
	return irq_of_parse_and_map(np, 0) ? 0 : -ENODEV;
}
IRQCHIP_DECLARE(foo, "vendor,foo", foo_of_init);
`;
    expect(rootsOf(src)).toEqual(["foo_of_init:of-declare:setup"]);
  });

  it("kernel macros: a for_each loop with declarations (parsed as a nested function) stays in its function", () => {
    const src = `
static int __init cbe_init_pm_irq(void)
{
	unsigned int irq;
	int rc, node;

	for_each_online_node(node) {
		irq = irq_create_mapping(NULL, IIC_IRQ_IOEX_PMI |
					       (node << IIC_IRQ_NODE_SHIFT));
		if (!irq)
			return -EINVAL;
	}
	return 0;
}
machine_arch_initcall(cell, cbe_init_pm_irq);
`;
    const facts = extractFileFacts("arch/powerpc/platforms/cell/pmu.c", src, rules, parser);
    expect(facts.sites[0]).toMatchObject({ function: "cbe_init_pm_irq", inLoop: true, line: 8 });
    expect(rootsOf(src)).toEqual(["cbe_init_pm_irq:initcall:setup"]);
  });

  it("cross-file: an exported helper is attributed to the probe that calls it elsewhere", async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import("node:fs/promises");
    const os = await import("node:os");
    const path = await import("node:path");
    const { scanTree } = await import("../../src/analysis/io/scan-tree.js");
    const dir = await mkdtemp(path.join(os.tmpdir(), "irqtriage-xfile-"));
    try {
      await mkdir(path.join(dir, "drivers/foo"), { recursive: true });
      await writeFile(path.join(dir, "drivers/foo/core.c"), "int foo_core_setup(struct foo *p)\n{\n\tp->irq = irq_create_mapping(p->d, 0);\n\treturn 0;\n}\n");
      await writeFile(
        path.join(dir, "drivers/foo/plat.c"),
        "static int foo_probe(struct platform_device *pdev)\n{\n\treturn foo_core_setup(p);\n}\nstatic int foo_remove(struct platform_device *pdev)\n{\n\tirq_dispose_mapping(p->irq);\n\treturn 0;\n}\nstatic struct platform_driver d = { .probe = foo_probe, .remove = foo_remove };\n",
      );
      const r = await scanTree(dir, { rules, workers: 0 });
      const core = r.findings.find((f) => f.unit === "drivers/foo/core.c")!;
      expect(core.create[0]?.path).toBe("probe");
      expect(core.confidence).toBe("high");
      const noX = await scanTree(dir, { rules, workers: 0, crossFile: false });
      expect(noX.findings.find((f) => f.unit === "drivers/foo/core.c")!.create[0]?.path).toBe("unknown");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
