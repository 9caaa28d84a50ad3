extension Study {
    /// Paper Fig. 10: wall time per method (training time, evaluation excluded) — hand-designed schedules,
    /// Adam, MLR-SNet meta-training and a transferred MLR-SNet (meta-test).
    public static func cost(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        let r = Presets.cifar10(scale, cpuPerClass: 300, cpuEpochs: 2)
        return Study(
            name: "cost", title: "Cost: training time per method", scale: scale, seeds: Presets.seeds(scale),
            groups: [StudyGroup(name: "cifar10", title: "CIFAR-10, \(r.model)", run: r, methods: [
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                .schedule("adam", Presets.fixed(1e-3), optimizer: .adam),
                Presets.mlrsnet("mlrsnet-meta-train", scale, optimizer: .sgdm, ["metaInterval": .number(Double(scale == .paper ? 196 : 2))]),
                Presets.mlrsnet("mlrsnet-meta-train-paper-interval", scale, optimizer: .sgdm,
                                ["metaInterval": .number(Double(max(1, (r.trainPerClass.map { $0 * 10 - r.validationPerClass * 10 } ?? 49000) / r.batchSize / 2)))]),
                Presets.shipped("mlrsnet-meta-test", optimizer: .sgdm),
            ])],
            paperClaims: [PaperClaim(claim: "MLR-SNet meta-training and meta-testing take barely longer than hand-designed schedules; one meta-update costs ≈ 3× a step (Fig. 10)",
                                     paper: "GPU, ResNet-18: similar times except RTHO")],
            notes: ["Read the 'train time / seed' and 'ms / step' columns. The meta-training cost grows with the meta-update frequency: every 2 steps (our reduced-scale default) vs twice per epoch (the paper's).",
                    "The machine is shared; timings are noisy."])
    }
}
