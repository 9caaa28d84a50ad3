extension Study {
    /// The architectures the CIFAR-10 MLR-SNet is transferred to (model names as `ModelSpec` parses them), one
    /// line each. DenseNet-BC-100-12 (the paper's DenseNet) needs ≈ 8 GB at batch 128, so cpu/tiny use a small
    /// DenseNet-BC; MobileNetV2 (CIFAR strides) runs at cpu and paper scale.
    static func transferArchitectures(_ scale: StudyScale) -> [String] {
        switch scale {
        case .tiny: return ["resnet14", "wrn-10-1",
                            "shufflenetv2-0.5",
                            "densenet-10-4",
                            // (MobileNetV2 only at cpu/paper scale: ≈ 1 s per batch-128 step, too slow for CI's tiny runs)
                           ]
        case .cpu: return ["resnet32", "wrn-16-2",
                           "shufflenetv2",
                           "densenet-40-12",
                           "mobilenetv2",
                          ]
        case .paper: return ["resnet56", "wrn-28-10",
                             "shufflenetv2",
                             "densenet-100-12",
                             "mobilenetv2",
                            ]
        }
    }

    /// Paper Fig. 7, 14: the MLR-SNet meta-trained with one network, transferred to other architectures.
    public static func transferArchitectures(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        let base = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 4)
        var groups = [StudyGroup(name: "meta", title: "Meta-training with \(base.model)", run: base,
                                 methods: [Presets.mlrsnet("mlrsnet", scale, optimizer: .sgdm)])]
        for model in transferArchitectures(scale) {
            var r = base
            r.model = model
            groups.append(StudyGroup(name: model, title: "Transfer to \(model)", run: r, methods: [
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                .schedule("sgdm-exp", Presets.exponential(r.epochs), optimizer: .sgdm),
                Presets.transfer("mlrsnet", from: "meta/mlrsnet", optimizer: .sgdm),
                Presets.shipped(optimizer: .sgdm),
            ]))
        }
        return Study(
            name: "transfer-architectures", title: "Transfer to other network architectures", scale: scale, seeds: Presets.seeds(scale), groups: groups,
            paperClaims: transferArchitectures(scale).map {
                PaperClaim(claim: "the transferred MLR-SNet is comparable to hand-designed schedules on \($0) (Fig. 7, 14)",
                           paper: "ShuffleNetV2, MobileNetV2, NASNet, DenseNet: comparable", group: $0, method: "mlrsnet",
                           comparedWith: ["sgdm-multistep", "sgdm-exp"], comparableWithin: 0.01)
            },
            notes: ["The paper meta-trains with ResNet-18 and transfers to light-weight nets (ShuffleNetV2, MobileNetV2, NASNet, DenseNet); ours meta-trains with \(base.model) and transfers to \(transferArchitectures(scale).joined(separator: ", ")). ShuffleNetV2 and DenseNet-BC are sized for 32×32 inputs (no early down-sampling); at cpu/tiny scale the DenseNet is a small DenseNet-BC (DenseNet-BC-100-12 needs ≈ 8 GB at batch 128)." + (transferArchitectures(scale).contains { $0.hasPrefix("mobilenetv2") } ? "" : " MobileNetV2 runs at cpu and paper scale only (too slow for the tiny smoke run).")])
    }
}
