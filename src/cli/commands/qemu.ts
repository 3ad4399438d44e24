import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../config/io/load-config.js";
import { ExitCode, UsageError } from "../../errors.js";
import { createLogger } from "../../log/logger.js";
import { BubblewrapSandbox } from "../../kernel/io/bubblewrap-sandbox.js";
import { buildLimitsOf } from "../../qemu/io/build-kernel.js";
import { checkWorktree } from "../../qemu/io/check-worktree.js";
import { loadScenarios } from "../../qemu/io/load-scenarios.js";
import { packageRoot } from "../../package-root.js";
import { toQemuJson, type QemuCheckResult } from "../../qemu/qemu-check-result.js";
import { renderQemuMarkdown, renderQemuSection } from "../../qemu/render-qemu-section.js";
import { runQemuCheck } from "../../qemu/io/run-qemu-check.js";
import { optBool, optInt, optString } from "../args.js";
import type { CliCommand } from "../cli-command.js";

const help = `usage: irqtriage qemu (--worktree <dir> | --kernel <image>) [--scenario <name>]
                      [--cycles N] [--json | --markdown] [--base <rev>] [--mirror <dir>]
                      [--accel auto|kvm|tcg] [--log-file <path>] [--config <file>]

Boots a kernel in QEMU (q35, PCIe root ports, no network), hot-plugs virtio devices
over QMP and checks that the guest's IRQ descriptors come back to the boot baseline.
  --worktree <dir>   build this kernel tree (a worktree of the mirror, series applied)
                     out of tree in <stateDir>/kbuild/<base>, incrementally, then boot it
  --kernel <image>   boot a prebuilt bzImage instead: the report says the guest did NOT
                     run the patched kernel ("patched": false)
  --scenario <name>  one of rules/qemu/scenarios (default from config: msi-hotplug)
  --cycles N         plug/unplug cycles (default: the scenario's)
--json prints {"kernel","patched","scenario","verdict","baseline":{"descriptors"},
"cycles":[{"plugged":{"descriptors"},"unplugged":{"descriptors"}}],"log_excerpt"}.
Verdicts: pass, leak, premature-teardown, kernel-warning, inconclusive, build-failed,
build-stopped (the build hit a time, memory or process limit of its sandbox).
Builds and guests run in bubblewrap (apt-get install bubblewrap); without it --worktree
refuses to build.
Exit: 0 pass, 1 leak/premature-teardown/kernel-warning/build-failed,
4 inconclusive/build-stopped (or no sandbox), 2 usage.
`;

function defaultMirror(env: NodeJS.ProcessEnv): string {
  return env["IRQTRIAGE_LINUX_MIRROR"] ?? path.join(os.homedir(), ".cache", "irqtriage", "linux-6.1");
}

export const command: CliCommand = {
  name: "qemu",
  summary: "boot a (patched) kernel in QEMU, hot-plug devices, check IRQ descriptors",
  help,
  allowPositionals: false,
  options: {
    worktree: { type: "string" },
    kernel: { type: "string" },
    scenario: { type: "string" },
    cycles: { type: "string" },
    json: { type: "boolean" },
    markdown: { type: "boolean" },
    base: { type: "string" },
    mirror: { type: "string" },
    accel: { type: "string" },
    "log-file": { type: "string" },
    config: { type: "string" },
  },
  async run(args, io) {
    const config = await loadConfig(optString(args, "config"), io.env, io.cwd);
    const q = config.qemu;
    const worktree = optString(args, "worktree");
    const kernelArg = optString(args, "kernel") ?? (worktree ? undefined : (q.kernel ?? undefined));
    if (worktree && optString(args, "kernel")) throw new UsageError("give either --worktree or --kernel, not both");
    if (!worktree && !kernelArg) throw new UsageError("give --worktree <dir> or --kernel <image>");
    const accel = optString(args, "accel") ?? q.accel;
    if (accel !== "auto" && accel !== "kvm" && accel !== "tcg") throw new UsageError(`--accel must be auto, kvm or tcg`);
    const scenarios = await loadScenarios();
    const name = optString(args, "scenario") ?? q.scenario;
    const scenario = scenarios.get(name);
    if (!scenario) throw new UsageError(`unknown scenario "${name}"; known: ${[...scenarios.keys()].join(", ")}`);
    const cycles = optInt(args, "cycles", q.cycles ?? scenario.cycles, 1, 100);
    const log = createLogger({ env: io.env });
    const logFileArg = optString(args, "log-file");
    const common = {
      scenario,
      cycles,
      accel,
      qemuBinary: q.binary,
      busybox: q.busybox,
      memoryMb: q.memoryMb,
      bootTimeoutMs: q.bootTimeoutMs,
      stepTimeoutMs: q.stepTimeoutMs,
      logFile: logFileArg ? path.resolve(io.cwd, logFileArg) : null,
      // Builds and guests run in bubblewrap; --worktree refuses to build without it.
      sandbox: new BubblewrapSandbox({ uid: q.sandbox.uid, gid: q.sandbox.gid, log }),
      log,
      signal: io.signal,
    } as const;
    let result: QemuCheckResult;
    if (worktree) {
      const wt = path.resolve(io.cwd, worktree);
      if (!existsSync(wt)) throw new UsageError(`--worktree ${wt} does not exist`);
      const mirror = path.resolve(io.cwd, optString(args, "mirror") ?? config.mirror.path ?? defaultMirror(io.env));
      const fragment = path.isAbsolute(q.fragment) ? q.fragment : path.join(packageRoot, q.fragment);
      const base = optString(args, "base");
      ({ result } = await checkWorktree({
        ...common,
        worktree: wt,
        mirror,
        ...(base ? { base } : {}),
        branch: config.mirror.branch,
        stateDir: path.resolve(io.cwd, config.stateDir),
        fragment,
        buildJobs: q.buildJobs,
        buildTimeoutMs: q.buildTimeoutMs,
        buildLimits: buildLimitsOf(q),
      }));
    } else {
      const image = path.resolve(io.cwd, kernelArg as string);
      if (!existsSync(image)) throw new UsageError(`--kernel ${image} does not exist`);
      result = await runQemuCheck({ ...common, kernel: image, patched: false });
    }
    if (optBool(args, "json")) io.stdout.write(JSON.stringify(toQemuJson(result), null, 2) + "\n");
    else if (optBool(args, "markdown")) io.stdout.write(renderQemuMarkdown(result));
    else io.stdout.write(renderQemuSection(result) + "\n");
    if (result.verdict === "pass") return ExitCode.ok;
    if (result.verdict === "inconclusive" || result.verdict === "build-stopped") return ExitCode.external;
    return ExitCode.findings;
  },
};
