import type { BalanceClass } from "../../src/analysis/scan-result.js";

/**
 * Real units of Debian's linux-source-6.1 (Linux 6.1.192), LABELLED BY READING THE CODE, not by
 * running the analysis: for each, the file, the function(s) holding the call sites, and why the
 * label is what it is. Sampled across the classes the scan reports (every 9th balanced /
 * never-disposes unit plus all units of the rare classes as of the first scan), then read one by
 * one in the tree; where the reading disagrees with the scan the label below says what the code
 * does, and the precision test counts the scan as wrong.
 */
export interface LabelledUnit {
  file: string;
  /** When the file holds several drivers, the one this label is about (its struct variable). */
  driver?: string;
  /** Functions holding the labelled call sites (create side first). */
  functions: string[];
  label: BalanceClass;
  why: string;
}

export const labelledUnits: LabelledUnit[] = [
  // balanced
  { file: "drivers/net/can/mscan/mpc5xxx_can.c", functions: ["mpc5xxx_can_probe", "mpc5xxx_can_remove"], label: "balanced", why: "irq_of_parse_and_map in probe; irq_dispose_mapping(dev->irq) in remove and at exit_dispose_irq" },
  { file: "drivers/video/fbdev/mb862xx/mb862xxfbdrv.c", functions: ["of_platform_mb862xx_probe", "of_platform_mb862xx_remove"], label: "balanced", why: "maps par->irq in probe, disposes after free_irq in remove and at irqdisp: on failure" },
  { file: "drivers/net/ethernet/ibm/emac/core.c", functions: ["emac_probe", "emac_remove"], label: "balanced", why: "emac_irq and wol_irq mapped in probe, both disposed in emac_remove and at err_irq_unmap" },
  { file: "drivers/hid/hid-rmi.c", functions: ["rmi_setup_irq_domain", "rmi_irq_teardown"], label: "balanced", why: "irq_create_mapping(domain, 0) in probe path; devm action rmi_irq_teardown disposes irq_find_mapping(domain, 0)" },
  { file: "drivers/bus/moxtet.c", functions: ["moxtet_irq_setup", "moxtet_irq_free"], label: "balanced", why: "creates a mapping per existing child hwirq of its own domain in probe, moxtet_irq_free (remove) disposes the same set (the parent of_irq_get stays, as everywhere)" },
  { file: "drivers/irqchip/irq-sni-exiu.c", functions: ["exiu_domain_alloc"], label: "balanced", why: ".alloc calls irq_domain_alloc_irqs_parent; .free = irq_domain_free_irqs_common, the core pairs them" },
  { file: "drivers/irqchip/irq-crossbar.c", functions: ["allocate_gic_irq", "crossbar_domain_free"], label: "balanced", why: "parent irqs allocated from .alloc, freed with irq_domain_free_irqs_parent in .free" },
  { file: "arch/powerpc/kernel/pci-common.c", functions: ["pci_read_irq_line", "ppc_pci_intx_release"], label: "balanced", why: "the 5.11 fix: INTx virq kref'd per device in pci_read_irq_line, disposed in the kref release on the last BUS_NOTIFY_DEL_DEVICE" },
  { file: "drivers/edac/mpc85xx_edac.c", driver: "mpc85xx_l2_err_driver", functions: ["mpc85xx_l2_err_probe", "mpc85xx_l2_err_remove"], label: "balanced", why: "L2 error driver: maps in probe, disposes in mpc85xx_l2_err_remove (and when devm_request_irq fails)" },
  { file: "drivers/staging/media/deprecated/fsl-viu/fsl-viu.c", functions: ["viu_of_probe", "viu_of_remove"], label: "balanced", why: "viu_irq mapped in probe, disposed at err_irq: and after free_irq in viu_of_remove" },
  { file: "drivers/irqchip/irq-gic-v2m.c", functions: ["gicv2m_irq_gic_domain_alloc", "gicv2m_irq_domain_free"], label: "balanced", why: "parent GIC irqs allocated in .alloc, freed with irq_domain_free_irqs_parent in .free (and on .alloc failure)" },
  { file: "arch/powerpc/platforms/pseries/ibmebus.c", functions: ["ibmebus_request_irq", "ibmebus_free_irq"], label: "balanced", why: "exported pair: ibmebus_request_irq creates the mapping, ibmebus_free_irq disposes it" },
  // never-disposes (second sample: every 47th never-disposes unit of a later scan)
  { file: "drivers/iio/proximity/mb1232.c", functions: ["mb1232_probe"], label: "never-disposes", why: "fwnode_irq_get in probe, no dispose anywhere in the driver" },
  { file: "drivers/mailbox/sun6i-msgbox.c", functions: ["sun6i_msgbox_probe"], label: "never-disposes", why: "irq_of_parse_and_map passed straight to devm_request_irq; sun6i_msgbox_remove does not dispose" },
  { file: "drivers/video/fbdev/fsl-diu-fb.c", functions: ["fsl_diu_probe"], label: "never-disposes", why: "data->irq mapped in probe; fsl_diu_remove frees the irq but never disposes the mapping" },
  { file: "drivers/watchdog/at91sam9_wdt.c", functions: ["of_at91wdt_init"], label: "never-disposes", why: "of_at91wdt_init (from the probe given to module_platform_driver_probe) maps wdt->irq; at91wdt_remove does not dispose" },
  { file: "drivers/clocksource/timer-rockchip.c", functions: ["rk_timer_probe"], label: "never-disposes", why: "TIMER_OF_DECLARE init maps the timer irq; its error paths unmap registers but never dispose" },
  { file: "arch/xtensa/kernel/perf_event.c", functions: ["xtensa_pmu_init"], label: "never-disposes", why: "early_initcall maps the profiling interrupt with irq_create_mapping(NULL, ...) and never disposes it" },
  // never-disposes (first sample)
  { file: "drivers/ata/sata_mv.c", functions: ["mv_platform_probe"], label: "never-disposes", why: "irq_of_parse_and_map in probe; mv_platform_remove never disposes" },
  { file: "drivers/dma/ti/cppi41.c", functions: ["cppi41_dma_probe"], label: "never-disposes", why: "irq_of_parse_and_map in probe, no dispose on error or in remove" },
  { file: "arch/powerpc/sysdev/pmi.c", functions: ["pmi_of_probe"], label: "never-disposes", why: "data->irq mapped in probe; pmi_of_remove frees data without disposing" },
  { file: "drivers/clocksource/timer-sun5i.c", functions: ["sun5i_timer_init"], label: "never-disposes", why: "TIMER_OF_DECLARE init maps the irq and never disposes (not even on its error returns)" },
  { file: "drivers/gpio/gpio-dwapb.c", functions: ["dwapb_get_irq"], label: "never-disposes", why: "fwnode_irq_get per port in probe, never disposed" },
  { file: "arch/powerpc/platforms/powernv/vas.c", functions: ["init_vas_instance"], label: "never-disposes", why: "irq_create_mapping(NULL, hwirq) for the VAS instance in probe, never disposed" },
  // error-path-only
  { file: "drivers/dma/mv_xor.c", functions: ["mv_xor_probe"], label: "error-path-only", why: "disposes channel irqs only when probe fails (IS_ERR(chan) and err_channel_add); the driver has no remove" },
  { file: "drivers/irqchip/irq-gic-pm.c", functions: ["gic_probe"], label: "error-path-only", why: "parent irq disposed only at irq_dispose: after a failed probe; no remove" },
  { file: "drivers/usb/host/fhci-hcd.c", functions: ["of_fhci_probe"], label: "error-path-only", why: "usb_irq disposed at err_clocks/err_add_hcd only; fhci_remove frees the timer irq but never disposes usb_irq" },
  { file: "drivers/net/wireless/microchip/wilc1000/sdio.c", functions: ["wilc_sdio_probe"], label: "error-path-only", why: "of_irq_get in probe, disposed at dispose_irq: on failure; wilc_sdio_remove does not dispose" },
  { file: "drivers/tty/serial/8250/8250_aspeed_vuart.c", functions: ["aspeed_vuart_probe"], label: "error-path-only", why: "port irq disposed at err_clk_disable only; aspeed_vuart_remove does not dispose" },
  { file: "drivers/irqchip/irq-ompic.c", functions: ["ompic_of_init"], label: "error-path-only", why: "IRQCHIP_DECLARE init disposes its parent irq only at out_irq_disp on failure" },
  { file: "drivers/edac/mpc85xx_edac.c", driver: "mpc85xx_pci_err_driver", functions: ["mpc85xx_pci_err_probe"], label: "error-path-only", why: "PCI error driver: disposes pdata->irq only when devm_request_irq fails; the driver has no remove" },
  { file: "arch/powerpc/platforms/86xx/mpc8610_hpcd.c", functions: ["mpc8610_suspend_init"], label: "error-path-only", why: "boot-time init disposes the pixis irq only inside `if (ret)` after request_irq fails" },
  // shared-dispose
  { file: "drivers/irqchip/irq-keystone.c", functions: ["keystone_irq_remove"], label: "shared-dispose", why: "remove disposes irq_find_mapping(kirq->irqd, hwirq) for every hwirq: mappings its consumers created" },
  { file: "drivers/irqchip/irq-pruss-intc.c", functions: ["pruss_intc_remove"], label: "shared-dispose", why: "loops over all system events disposing whatever mapping the domain holds" },
  { file: "drivers/mfd/stmfx.c", functions: ["stmfx_irq_exit"], label: "shared-dispose", why: "disposes every hwirq's mapping of its domain; the mappings were created by its child drivers" },
  { file: "drivers/mfd/tps65217.c", functions: ["tps65217_remove"], label: "shared-dispose", why: "remove loops over TPS65217_NUM_IRQ disposing mappings created by the MFD cells" },
  { file: "drivers/iio/adc/stm32-adc-core.c", functions: ["stm32_adc_irq_remove"], label: "shared-dispose", why: "disposes irq_find_mapping for each ADC hwirq; the child ADC drivers mapped them" },
  { file: "drivers/irqchip/irq-ts4800.c", functions: ["ts4800_ic_probe", "ts4800_ic_remove"], label: "shared-dispose", why: "remove disposes all 8 child mappings found by hwirq (created by consumers), besides its own parent irq" },
  { file: "drivers/pci/controller/pci-tegra.c", functions: ["tegra_pcie_map_irq", "tegra_pcie_msi_teardown"], label: "shared-dispose", why: "MSI teardown frees every irq found in the MSI domain, allocated on behalf of endpoint drivers" },
  // create-twice-dispose-once
  { file: "drivers/gpio/gpio-brcmstb.c", functions: ["brcmstb_gpio_to_irq", "brcmstb_gpio_remove"], label: "create-twice-dispose-once", why: ".to_irq calls irq_create_mapping on every gpiod_to_irq(); remove disposes each hwirq once" },
  { file: "drivers/gpio/gpio-mockup.c", functions: ["gpio_mockup_to_irq", "gpio_mockup_dispose_mappings"], label: "create-twice-dispose-once", why: "to_irq creates on every call, a devm action disposes each line's mapping once" },
  { file: "drivers/gpio/gpio-sim.c", functions: ["gpio_sim_to_irq", "gpio_sim_dispose_mappings"], label: "create-twice-dispose-once", why: "same pattern as gpio-mockup: create per to_irq call, one dispose per line at teardown" },
  { file: "arch/arm/common/sa1111.c", functions: ["sa1111_map_irq", "sa1111_remove_irq"], label: "create-twice-dispose-once", why: "sa1111_map_irq is reached from the to_irq callback and probe paths; remove disposes each hwirq once" },
  // dispose-unowned
  { file: "drivers/net/dsa/mv88e6xxx/global1_vtu.c", functions: ["mv88e6xxx_g1_vtu_prob_irq_setup", "mv88e6xxx_g1_vtu_prob_irq_free"], label: "dispose-unowned", why: "takes irq_find_mapping() of a mapping global1.c created, then disposes it on error and on free" },
  { file: "drivers/net/dsa/mv88e6xxx/global1_atu.c", functions: ["mv88e6xxx_g1_atu_prob_irq_setup", "mv88e6xxx_g1_atu_prob_irq_free"], label: "dispose-unowned", why: "same as the VTU case: disposes a mapping found by lookup, created elsewhere" },
  { file: "drivers/tee/optee/smc_abi.c", functions: ["optee_smc_notif_uninit_irq", "optee_probe"], label: "dispose-unowned", why: "irq comes from platform_get_irq() (the platform core mapped it); optee disposes it" },
  { file: "drivers/pci/controller/pcie-mediatek-gen3.c", functions: ["mtk_pcie_irq_teardown"], label: "dispose-unowned", why: "pcie->irq = platform_get_irq(); teardown disposes that mapping" },
  { file: "arch/powerpc/platforms/powernv/eeh-powernv.c", functions: ["pnv_eeh_post_init"], label: "dispose-unowned", why: "irq from opal_event_request() (opal-irqchip.c creates it) is disposed when request_irq fails" },
  // library
  { file: "drivers/of/property.c", functions: ["of_fwnode_irq_get"], label: "library", why: "fwnode op that returns of_irq_get() to its caller, which owns the mapping" },
];
