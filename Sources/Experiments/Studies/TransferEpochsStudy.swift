extension Study {
    /// Paper Fig. 5: an MLR-SNet meta-trained on CIFAR-10 for E epochs, transferred (θ frozen) to runs of
    /// ½E, 2E and 6E epochs (paper: 200 → 100, 400, 1200), vs SGDM with multistep and exponential decay.
    public static func transferEpochs(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        let base = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 4)
        let e = base.epochs
        var groups = [StudyGroup(name: "meta", title: "Meta-training (\(e) epochs)", run: base,
                                 methods: [Presets.mlrsnet("mlrsnet", scale, optimizer: .sgdm)])]
        for (name, factor) in [("half", 0.5), ("double", 2.0), ("six", 6.0)] {
            var r = base
            r.epochs = max(1, Int((Double(e) * factor).rounded()))
            groups.append(StudyGroup(name: "epochs-\(name)", title: "Transfer to \(r.epochs) epochs (\(factor)×)", run: r, methods: [
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                .schedule("sgdm-exp", Presets.exponential(r.epochs), optimizer: .sgdm),
                Presets.transfer("mlrsnet", from: "meta/mlrsnet", optimizer: .sgdm),
                Presets.shipped(optimizer: .sgdm),
            ]))
        }
        return Study(
            name: "transfer-epochs", title: "Transfer to other training lengths", scale: scale, seeds: Presets.seeds(scale), groups: groups,
            paperClaims: [
                PaperClaim(claim: "the transferred MLR-SNet trains for longer horizons and matches MultiStep (Fig. 5)",
                           paper: "200 → 100/400/1200 epochs: ≈ MultiStep, exponential slightly worse when longer", group: "epochs-six",
                           method: "mlrsnet", comparedWith: ["sgdm-multistep", "sgdm-exp"], comparableWithin: 0.01),
                PaperClaim(claim: "… for twice the meta-training epochs", paper: "200 → 400 epochs", group: "epochs-double", method: "mlrsnet",
                           comparedWith: ["sgdm-multistep", "sgdm-exp"], comparableWithin: 0.01),
                PaperClaim(claim: "… and for a shorter run", paper: "200 → 100 epochs", group: "epochs-half", method: "mlrsnet",
                           comparedWith: ["sgdm-multistep", "sgdm-exp"], comparableWithin: 0.01),
            ],
            notes: [
                "Meta-training: CIFAR-10 \(base.model), \(base.trainPerClass.map { "\($0 * 10) images" } ?? "all images"), \(e) epochs, SGD-momentum; the artifact of each seed is transferred to the same seed's runs. `mlrsnet-shipped` is the package's pretrained CIFAR-10 artifact.",
            ])
    }
}
