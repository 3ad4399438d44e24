/** A hot-plug scenario from rules/qemu/scenarios/*.yaml (schema: rules/schema/qemu-scenario.json). */
export interface ScenarioDevice {
  id: string;
  driver: "virtio-net-pci" | "virtio-blk-pci";
  /** Root port number (1-based); the port is `rp<port>` on pcie.0. */
  port: number;
  props?: Record<string, string | number | boolean>;
}

export interface ScenarioOrder {
  plug: string[];
  unplug: string[];
}

export interface QemuScenario {
  name: string;
  description: string;
  /** Extra kernel command line (e.g. "pci=nomsi"). */
  append: string;
  /** Modules to load in the guest when the kernel has them as modules. */
  modules: string[];
  cycles: number;
  /** Number of root ports; default: the highest port a device uses. */
  rootPorts?: number;
  devices: ScenarioDevice[];
  /** Cycle i follows order[i % order.length]. */
  order: ScenarioOrder[];
}

/** The plug and unplug order of cycle `i` (0-based). */
export function cycleOrder(s: QemuScenario, i: number): ScenarioOrder {
  return s.order[i % s.order.length] ?? { plug: s.devices.map((d) => d.id), unplug: s.devices.map((d) => d.id).reverse() };
}
