extension Study {
    /// The 15 CIFAR-10-C corruptions (directories `mlrsnet corrupt` writes, each a CIFAR-10 binary release).
    public static let corruptions = ["gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
                                     "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
                                     "jpeg_compression"]

    /// Paper Table 1: train on each corruption of the training set with 10 clean validation images per class
    /// guiding MLR-SNet, test on the clean test set. Expects what `mlrsnet corrupt --format cifar-binary --out ROOT`
    /// writes: `ROOT/NAME/severity-S/cifar-10-batches-bin/` per corruption at the chosen severity (`inputs`);
    /// groups whose directory is missing are skipped with a message.
    public static func robustness(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        let names = scale == .tiny ? Array(corruptions.prefix(1)) : corruptions
        let hand = ["sgdm-fixed", "sgdm-exp", "sgdm-multistep", "sgdm-sgdr"]
        let groups = names.map { name -> StudyGroup in
            var r = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 6)
            r.data = inputs.corruptionRelease(name)
            r.cleanData = inputs.cleanCIFAR10 ?? RunSpec.defaultDataPath(.cifar10)
            r.validationPerClass = scale == .tiny ? 1 : 10
            r.augment = false
            return StudyGroup(name: name, title: "Trained on \(name)", run: r, methods: [
                .schedule("sgdm-fixed", Presets.fixed(), optimizer: .sgdm),
                .schedule("sgdm-exp", Presets.exponential(r.epochs), optimizer: .sgdm),
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                .schedule("sgdm-sgdr", Presets.sgdr(r.epochs), optimizer: .sgdm),
                Presets.mlrsnet("mlrsnet", scale, optimizer: .sgdm),
            ])
        }
        return Study(
            name: "robustness", title: "Robustness to corrupted training data", scale: scale, seeds: Presets.seeds(scale), groups: groups,
            paperClaims: [PaperClaim(claim: "with 10 clean validation images per class, MLR-SNet beats hand-designed schedules when trained on corrupted data (Table 1)",
                                     paper: "mean over 15 corruptions, ResNet-18 CIFAR-10: MLR-SNet best", method: "mlrsnet",
                                     comparedWith: hand, overGroups: true)]
                + names.map {
                    PaperClaim(claim: "the same, on this corruption alone", paper: "Table 1 reports only the mean over the 15", group: $0, method: "mlrsnet", comparedWith: hand)
                },
            notes: ["Training images come from the corruption's release at severity \(inputs.severity) (`mlrsnet corrupt --format cifar-binary --severity \(inputs.severity) --out \(inputs.corruptions)`: NAME/severity-\(inputs.severity)/cifar-10-batches-bin; `--limit N` releases, the first N training images, work too); the validation images (\(scale == .tiny ? 1 : 10) per class) are the same positions of the clean training set, removed from training; the test set is clean.",
                    "Corruptions root: \(inputs.corruptions), severity \(inputs.severity). The paper trains on CIFAR-10-C (the 10,000 test images × 5 severities per corruption); ours corrupts the training images at one severity."])
    }
}
