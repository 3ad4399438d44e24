#!/usr/bin/env node
// Stratum B sampling for the blind labelling of Linux 6.1 (see LABELLING-b.md).
// Stratum B = .c files (outside kernel/irq/, tools/, Documentation/, scripts/, samples/) that
// name a create-side mapping API as a whole word but no release-side API.
// Order: LC_ALL=C sorted list, shuffled by Fisher-Yates with mulberry32(20261207).
// usage: node test/analysis/label-sample-b.mjs [linux-tree]   (default ~/.cache/irqtriage/linux-6.1)
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

const tree = process.argv[2] ?? join(homedir(), '.cache/irqtriage/linux-6.1');
const CREATE = ['irq_create_mapping', 'irq_create_mapping_affinity', 'irq_create_fwspec_mapping',
  'irq_create_of_mapping', 'irq_of_parse_and_map', 'of_irq_get', 'of_irq_get_byname',
  'fwnode_irq_get', 'fwnode_irq_get_byname', 'irq_domain_alloc_irqs', 'acpi_register_gsi',
  'of_irq_parse_and_map_pci'];
const RELEASE = ['irq_dispose_mapping', 'irq_domain_free_irqs', 'irq_domain_free_irqs_parent',
  'irq_domain_free_irqs_common', 'irq_domain_free_irqs_top', 'acpi_unregister_gsi', 'irq_free_descs'];
const EXCLUDE = ['kernel/irq/', 'tools/', 'Documentation/', 'scripts/', 'samples/']
  .map((d) => `:(exclude)${d}`);

function filesNaming(names) {
  // git grep -l -w -E '(a|b|...)' -- '*.c' ':(exclude)...'   (exit 1 = no match)
  let out = '';
  try {
    out = execFileSync('git', ['-C', tree, 'grep', '-l', '-w', '-E', `(${names.join('|')})`,
      '--', '*.c', ...EXCLUDE], { encoding: 'utf8', maxBuffer: 1 << 26 });
  } catch (e) {
    if (e.status !== 1) throw e;
  }
  return out.split('\n').filter(Boolean);
}

// LC_ALL=C sort == code-unit order for these ASCII paths
const byte = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const released = new Set(filesNaming(RELEASE));
const list = filesNaming(CREATE).filter((f) => !released.has(f)).sort(byte);

function mulberry32(a) {
  return function () {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20261207);
for (let i = list.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [list[i], list[j]] = [list[j], list[i]];
}
process.stdout.write(list.join('\n') + '\n');
