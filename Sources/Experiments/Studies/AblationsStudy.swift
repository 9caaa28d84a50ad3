import Schedules

extension Study {
    /// Paper Fig. 9, 12, 16: the meta-learner's form (LSTM vs MLP), hidden size, meta-optimiser LR and γ, and
    /// MLR-SNet on top of Adam, each as one method of one CIFAR-10 group. A second group (not in the paper) varies
    /// only the meta-update interval on the image study's CIFAR-10 run, to test whether the learned LR's early
    /// collapse there is the short-horizon bias of frequent greedy meta-updates.
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
            groups: [StudyGroup(name: "cifar10", title: "CIFAR-10, \(r.model), SGD", run: r, methods: methods),
                     horizonGroup(scale)],
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
                PaperClaim(claim: "(not in the paper) short horizon: with SGD, meta-updates every 32 steps do better than every 2",
                           paper: "—", group: "cifar10-horizon", method: "sgd-meta-every-32", comparedWith: ["sgd-meta-every-2"]),
                PaperClaim(claim: "(not in the paper) with SGD and the paper's interval (twice per epoch), MLR-SNet is comparable to SGD + multistep",
                           paper: "Fig. 4a at 200 epochs: better", group: "cifar10-horizon", method: "sgd-meta-twice-per-epoch",
                           comparedWith: ["sgd-multistep"], comparableWithin: 0.01),
                PaperClaim(claim: "(not in the paper) short horizon: with SGD-momentum, meta-updates every 32 steps do better than every 2",
                           paper: "—", group: "cifar10-horizon", method: "sgdm-meta-every-32", comparedWith: ["sgdm-meta-every-2"]),
                PaperClaim(claim: "(not in the paper) with SGD-momentum and the paper's interval, MLR-SNet is comparable to SGD-momentum + cosine",
                           paper: "Fig. 4d at 200 epochs: within a few tenths", group: "cifar10-horizon", method: "sgdm-meta-twice-per-epoch",
                           comparedWith: ["sgdm-cosine"], comparableWithin: 0.01),
            ],
            notes: ["Every MLR-SNet starts at LR 0.1 (output bias; 0.001 on Adam, with γ = 0.01), so γ changes the range, not the start. γ below 0.1 is not tried for SGD for that reason.",
                    "'Insensitive' claims agree when the differences stay within the seeds' spread; read the table.",
                    "Group cifar10-horizon (not in the paper) is the image study's CIFAR-10 run with one change per method: MLR-SNet's meta-update interval (every 2 steps as the image study at cpu scale, 8, 32, or the paper's twice per epoch). Each meta-update greedily lowers the validation loss one step ahead; if that short-horizon bias is what drives the learned LR down early, fewer meta-updates should keep the LR higher and close the gap to the best hand-designed schedule."])
    }

    /// The image study's CIFAR-10 run with SGD + multistep and SGD-momentum + cosine (its best hand-designed
    /// schedules at `cpu` scale) and MLR-SNet at four meta-update intervals on each optimiser. SGD comes first,
    /// so a run stopped halfway still answers the question for one optimiser.
    static func horizonGroup(_ scale: StudyScale) -> StudyGroup {
        let c = Presets.cifar10(scale)
        let reference = Presets.imageBaselines(c.epochs)
        func arm(_ o: OptimizerKind, _ baseline: String) -> [MethodSpec] {
            reference.filter { $0.name == baseline }
                + [2, 8, 32].map { Presets.mlrsnet("\(o.rawValue)-meta-every-\($0)", scale, optimizer: o, ["metaInterval": .number(Double($0))]) }
                // No metaInterval: MLRSNetMetaOptions' default, twice per epoch (the paper's).
                + [MethodSpec(name: "\(o.rawValue)-meta-twice-per-epoch", kind: "mlrsnet-meta", parameters: [:], overrides: RunOverrides(optimizer: o))]
        }
        return StudyGroup(name: "cifar10-horizon", title: "CIFAR-10 (image study's run), \(c.model): meta-update interval",
                          run: c, methods: arm(.sgd, "sgd-multistep") + arm(.sgdm, "sgdm-cosine"))
    }
}
