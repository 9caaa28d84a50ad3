extension Study {
    /// Paper Fig. 3: training loss along random filter-normalised directions around the final weights of
    /// hand-designed schedules and MLR-SNet (the paper: CIFAR-100 ResNet-18).
    public static func flatness(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        var r = scale == .tiny ? Presets.fashionMNIST(scale) : Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 10)
        if scale == .paper { r.dataset = .cifar100; r.data = nil }
        return Study(
            name: "flatness", title: "Flatness of the minima found", scale: scale, seeds: Presets.seeds(scale),
            groups: [StudyGroup(name: r.dataset.rawValue, title: "\(r.dataset.rawValue), \(r.model)", run: r, methods: [
                .schedule("sgdm-fixed", Presets.fixed(), optimizer: .sgdm),
                .schedule("sgdm-exp", Presets.exponential(r.epochs), optimizer: .sgdm),
                .schedule("sgdm-multistep", Presets.multistep(r.epochs), optimizer: .sgdm),
                Presets.mlrsnet("mlrsnet", scale, optimizer: .sgdm),
            ])],
            paperClaims: [PaperClaim(claim: "MLR-SNet's solution lies in a wider flat region of the training loss (Fig. 3)",
                                     paper: "CIFAR-100 ResNet-18: MLR-SNet's curve rises last")],
            notes: ["Directions: N(0, 1), filter-normalised (each filter/row scaled to the norm of the weights' filter), biases and BatchNorm parameters not moved (Li et al. 2018); BatchNorm running statistics kept."],
            flatness: FlatnessSpec(directions: scale == .tiny ? 2 : 4, alphas: [-1, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, 1],
                                   images: scale == .tiny ? 100 : 2000))
    }
}
