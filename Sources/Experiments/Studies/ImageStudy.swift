extension Study {
    /// Paper Fig. 4(a,d) and 11: hand-designed schedules with SGD and SGD-momentum, and Adam, vs MLR-SNet
    /// meta-training (on SGD and on SGD-momentum), on Fashion-MNIST (small CNN) and CIFAR-10 (ResNet).
    public static func image(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        let f = Presets.fashionMNIST(scale), c = Presets.cifar10(scale)
        func methods(_ e: Int) -> [MethodSpec] {
            Presets.imageBaselines(e) + [Presets.mlrsnet("mlrsnet-sgd", scale, optimizer: .sgd), Presets.mlrsnet("mlrsnet-sgdm", scale, optimizer: .sgdm)]
        }
        return Study(
            name: "image", title: "Image classification: hand-designed schedules vs MLR-SNet", scale: scale, seeds: Presets.seeds(scale),
            groups: [StudyGroup(name: "fashion-mnist", title: "Fashion-MNIST, small CNN", run: f, methods: methods(f.epochs)),
                     StudyGroup(name: "cifar10", title: "CIFAR-10 (JPEG q75), ResNet", run: c, methods: methods(c.epochs))],
            paperClaims: [
                PaperClaim(claim: "MLR-SNet meta-trained with SGD outperforms all hand-designed schedules with SGD on CIFAR-10 (Fig. 4a)",
                           paper: "ResNet-18, 200 epochs: MLR-SNet best 94.37% / final 92.36%; SGD baselines lower",
                           group: "cifar10", method: "mlrsnet-sgd", comparedWith: ["sgd-fixed", "sgd-exp", "sgd-multistep", "sgd-sgdr", "sgd-plateau"]),
                PaperClaim(claim: "MLR-SNet is still at least comparable to the stronger SGD-momentum baselines (Fig. 4d)",
                           paper: "within a few tenths of a percent of SGDM + MultiStep", group: "cifar10", method: "mlrsnet-sgdm",
                           comparedWith: ["sgdm-fixed", "sgdm-exp", "sgdm-multistep", "sgdm-sgdr", "sgdm-plateau", "sgdm-cosine", "adam"]),
                PaperClaim(claim: "(not in the paper) the same comparison on Fashion-MNIST with SGD",
                           paper: "—", group: "fashion-mnist", method: "mlrsnet-sgd", comparedWith: ["sgd-fixed", "sgd-exp", "sgd-multistep", "sgd-sgdr", "sgd-plateau"]),
                PaperClaim(claim: "(not in the paper) the same comparison on Fashion-MNIST with SGD-momentum",
                           paper: "—", group: "fashion-mnist", method: "mlrsnet-sgdm",
                           comparedWith: ["sgdm-fixed", "sgdm-exp", "sgdm-multistep", "sgdm-sgdr", "sgdm-plateau", "sgdm-cosine", "adam"]),
            ],
            notes: [
                "Paper: CIFAR-10 ResNet-18 and CIFAR-100 WRN-28-10, 200 epochs, batch 128, weight decay 5e-4, initial LR 0.1, 3 seeds; MLR-SNet γ = 1, meta-updated twice per epoch on 100 validation images per class (Adam 1e-3, L2 1e-4).",
                "Ours (\(scale.rawValue)): Fashion-MNIST \(f.trainPerClass.map { "\($0 * 10) training images" } ?? "all training images"), \(f.epochs) epochs; CIFAR-10 \(c.model) \(c.trainPerClass.map { "on \($0 * 10) images" } ?? "on all images"), \(c.epochs) epochs. MLR-SNet's first LR is set to 0.1 (output bias), and meta-updates come every \(Presets.metaInterval(scale).map { "\(Int($0)) steps" } ?? "half epoch") so their number stays in the paper's range (MLR-SNET-SPEC §6).",
                "Hand-designed schedules are scaled to the epoch count: exponential decays to 1% of 0.1 by the end, multistep ×0.1 at ½ and ¾, SGDR restarts with t0 = epochs/7 and period doubling, plateau ×0.1 with patience epochs/20.",
                "HD, L4 and RTHO (issue 5) plug in as method kinds once merged.",
            ])
    }
}
