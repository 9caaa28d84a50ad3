import Schedules

extension Study {
    /// Paper Fig. 9, 12, 16: the meta-learner's form (LSTM vs MLP), hidden size, meta-optimiser LR and γ, and
    /// MLR-SNet on top of Adam, each as one method of one CIFAR-10 group.
    public static func ablations(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        var r = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 6)
        r.optimizer = .sgd
        let m = { (name: String, extra: [String: ScheduleConfig.Value]) in Presets.mlrsnet(name, scale, optimizer: .sgd, extra) }
        let methods: [MethodSpec] = [
            .schedule("sgd-multistep", Presets.multistep(r.epochs), optimizer: .sgd),
            m("lstm-h40", [:]),
            m("mlp-h40", ["architecture": "mlp"]),
            m("lstm-h10", ["hidden": 10]),
            m("lstm-h100", ["hidden": 100]),
            m("meta-lr-1e-2", ["metaLR": 1e-2]),
            m("meta-lr-1e-4", ["metaLR": 1e-4]),
            m("gamma-0.5", ["gamma": 0.5]),
            m("gamma-10", ["gamma": 10]),
            .schedule("adam", Presets.fixed(1e-3), optimizer: .adam),
            Presets.mlrsnet("mlrsnet-adam", scale, optimizer: .adam, ["gamma": 0.01, "firstLR": 0.001]),
        ]
        return Study(
            name: "ablations", title: "Ablations of the meta-learner", scale: scale, seeds: Presets.seeds(scale),
            groups: [StudyGroup(name: "cifar10", title: "CIFAR-10, \(r.model), SGD", run: r, methods: methods)],
            paperClaims: [
                PaperClaim(claim: "the LSTM meta-learner beats a memory-less MLP (Fig. 9)", paper: "LSTM > MLP on CIFAR-10",
                           group: "cifar10", method: "lstm-h40", comparedWith: ["mlp-h40"]),
                PaperClaim(claim: "insensitive to the meta-learner's size (Fig. 12a)", paper: "all sizes ≈ same accuracy",
                           group: "cifar10", method: "lstm-h40", comparedWith: ["lstm-h10", "lstm-h100"], insensitiveWithin: 0.02),
                PaperClaim(claim: "insensitive to the meta-optimiser's LR (Fig. 12b)", paper: "≈ same accuracy",
                           group: "cifar10", method: "lstm-h40", comparedWith: ["meta-lr-1e-2", "meta-lr-1e-4"], insensitiveWithin: 0.02),
                PaperClaim(claim: "insensitive to γ from 0.1 to 10 (Fig. 12c)", paper: "≈ same accuracy",
                           group: "cifar10", method: "lstm-h40", comparedWith: ["gamma-0.5", "gamma-10"], insensitiveWithin: 0.02),
                PaperClaim(claim: "MLR-SNet on top of Adam improves Adam (Fig. 16)", paper: "substantially better than Adam",
                           group: "cifar10", method: "mlrsnet-adam", comparedWith: ["adam"]),
            ],
            notes: ["Every MLR-SNet starts at LR 0.1 (output bias; 0.001 on Adam, with γ = 0.01), so γ changes the range, not the start. γ below 0.1 is not tried for SGD for that reason.",
                    "'Insensitive' claims agree when the differences stay within the seeds' spread; read the table."])
    }
}
