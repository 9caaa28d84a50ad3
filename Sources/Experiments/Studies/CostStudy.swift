extension Study {
    /// Paper Fig. 10: wall time per method (training time, evaluation excluded) — hand-designed schedules,
    /// Adam, MLR-SNet meta-training and a transferred MLR-SNet (meta-test), HD, L4 and RTHO; the paper's cost
    /// claims are checked as ratios of training time per step.
    public static func cost(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        // `cpu`: 4,000 training images, 3 epochs = 96 steps per cell, so per-step times average out the noise of a shared machine.
        let r = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 3)
        // One cell each of SGDN-HD, L4Mom and RTHO (the bounded RTHO where the scale has one, so the cell does not stop
        // early; at `paper` scale the first value of each hyper-LR grid: the cost does not depend on it).
        let all = Presets.imageAdaptive(scale)
        let adaptive = ["sgdn-hd", "l4-mom", "rtho-sgdm-bounded", "rtho-sgdm"].compactMap { n in all.first { $0.name == n || $0.name.hasPrefix(n + "-") } }
            .reduce(into: [MethodSpec]()) { kept, m in if !(m.kind == "rtho" && kept.contains { $0.kind == "rtho" }) { kept.append(m) } }
        return Study(
            name: "cost", title: "Cost: training time per method", scale: scale, seeds: Presets.seeds(scale),
            groups: [StudyGroup(name: "cifar10", title: "CIFAR-10, \(r.model)", run: r, methods: [
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                .schedule("adam", Presets.fixed(1e-3), optimizer: .adam),
                Presets.mlrsnet("mlrsnet-meta-every-step", scale, optimizer: .sgdm, ["metaInterval": 1]),
                Presets.mlrsnet("mlrsnet-meta-train", scale, optimizer: .sgdm, ["metaInterval": .number(Double(scale == .paper ? 196 : 2))]),
                Presets.mlrsnet("mlrsnet-meta-train-paper-interval", scale, optimizer: .sgdm,
                                ["metaInterval": .number(Double(max(1, (r.trainPerClass.map { $0 * 10 - r.validationPerClass * 10 } ?? 49000) / r.batchSize / 2)))]),
                Presets.shipped("mlrsnet-meta-test", optimizer: .sgdm),
            ] + adaptive)],
            paperClaims: [
                PaperClaim(claim: "a meta-training iteration needs about 3× the computation of a normal one (two extra forward/backward passes, Sec. 5.3)",
                           paper: "≈ 3×", group: "cifar10", method: "mlrsnet-meta-every-step", comparedWith: ["sgdm-multistep"], maxTimeRatio: 3),
                PaperClaim(claim: "with MLR-SNet updated only periodically, meta-training takes barely longer than a hand-designed schedule (Fig. 10)",
                           paper: "GPU, ResNet-18, twice per epoch: similar times", group: "cifar10", method: "mlrsnet-meta-train-paper-interval",
                           comparedWith: ["sgdm-multistep"], maxTimeRatio: 1.5),
                PaperClaim(claim: "meta-testing (a frozen MLR-SNet predicting each LR) costs barely more than a hand-designed schedule (Fig. 10)",
                           paper: "similar times", group: "cifar10", method: "mlrsnet-meta-test", comparedWith: ["sgdm-multistep"], maxTimeRatio: 1.05),
                PaperClaim(claim: "RTHO costs significantly more time than the other methods (Fig. 10)",
                           paper: "RTHO the slowest", group: "cifar10", method: "sgdm-multistep", comparedWith: adaptive.last.map { [$0.name] },
                           maxTimeRatio: 1),
            ],
            notes: ["Read the 'train time / seed' and 'ms / step' columns. The meta-training cost grows with the meta-update frequency: every step (the cost of one meta-iteration, Sec. 5.3), every 2 steps (our reduced-scale default) and twice per epoch (the paper's).",
                    "The machine is shared; timings are noisy."])
    }
}
