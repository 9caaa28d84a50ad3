extension Study {
    /// Paper appendix G (Fig. 15): MLR-SNet vs the RL LR Controller of Xu et al. (2019) on CIFAR-10 with
    /// SGD-momentum, next to MultiStep. The controller is trained in its cell (PPO over short episodes of the same
    /// run, then used frozen); MLR-SNet is meta-trained in its cell.
    public static func lrController(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        var r = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 4)
        r.optimizer = .sgdm
        let episodes: Double = scale == .tiny ? 1 : scale == .cpu ? 4 : 10
        let interval: Double = scale == .tiny ? 1 : 10
        return Study(
            name: "lr-controller", title: "MLR-SNet vs the RL LR Controller", scale: scale, seeds: Presets.seeds(scale),
            groups: [StudyGroup(name: "cifar10", title: "CIFAR-10, \(r.model), SGD-momentum", run: r, methods: [
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                MethodSpec(name: "lr-controller", kind: "lr-controller",
                           parameters: ["episodes": .number(episodes), "interval": .number(interval), "lr": 0.1]),
                Presets.mlrsnet("mlrsnet", scale, optimizer: .sgdm),
            ])],
            paperClaims: [
                PaperClaim(claim: "MLR-SNet generalises better than the LR Controller, which fluctuates and fails to progress as training goes on (appendix G)",
                           paper: "CIFAR-10 ResNet-18, 200 epochs: MLR-SNet above LR Controller", group: "cifar10", method: "mlrsnet",
                           comparedWith: ["lr-controller"]),
                PaperClaim(claim: "(context) MLR-SNet vs MultiStep in the same runs", paper: "comparable", group: "cifar10", method: "mlrsnet",
                           comparedWith: ["sgdm-multistep"], comparableWithin: 0.01),
            ],
            notes: [
                "LR Controller (Sources/LRController): 7 features on a fixed validation probe batch every K = \(Int(interval)) steps, actions ×1/1.05, ×1, ×1.05, LR clipped to [1e-4, 1], reward −validation loss, PPO (clip 0.2, γ 0.99, λ 0.95). Trained in each cell: \(Int(episodes)) PPO episode(s), each a fresh child of the same run (seed + 1 + episode) for the run's \(r.epochs) epochs from LR 0.1; then used frozen (its mode) from LR 0.1. Its training time is not in the table's time column.",
                "Paper: Xu et al.'s settings with batch 128, enough steps to cover 200 epochs; the number of training episodes is not given — \(Int(episodes)) here is ours. The paper's transfer of both to CIFAR-100 is not part of this study.",
            ])
    }
}
