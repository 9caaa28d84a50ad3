extension Study {
    /// Paper Fig. 6: the CIFAR-10 MLR-SNet transferred to other data sets — Fashion-MNIST (instead of SVHN
    /// and Tiny-ImageNet, which this machine does not hold) and Penn Treebank.
    public static func transferDatasets(_ scale: StudyScale, _ inputs: StudyInputs = StudyInputs()) -> Study {
        let base = Presets.cifar10(scale, cpuPerClass: 500, cpuEpochs: 4)
        let f = Presets.fashionMNIST(scale)
        let t = Presets.ptb(scale, layers: 2)
        return Study(
            name: "transfer-datasets", title: "Transfer to other data sets", scale: scale, seeds: Presets.seeds(scale),
            groups: [
                StudyGroup(name: "meta", title: "Meta-training on CIFAR-10", run: base, methods: [Presets.mlrsnet("mlrsnet", scale, optimizer: .sgdm)]),
                StudyGroup(name: "fashion-mnist", title: "Transfer to Fashion-MNIST", run: f, methods: [
                    .schedule("sgdm-multistep", Presets.multistep(f.epochs), optimizer: .sgdm),
                    Presets.transfer("mlrsnet", from: "meta/mlrsnet", optimizer: .sgdm),
                    Presets.shipped(optimizer: .sgdm),
                ]),
                StudyGroup(name: "ptb", title: "Transfer to PTB (2-layer LSTM)", run: t, methods: [
                    .schedule("sgd-plateau", Presets.plateau(t.epochs, initial: 20, factor: 0.25), optimizer: .sgd),
                    Presets.transfer("mlrsnet", from: "meta/mlrsnet", optimizer: .sgd, ["gamma": 40]),
                    Presets.shipped(optimizer: .sgd, ["gamma": 40]),
                ]),
            ],
            paperClaims: [
                PaperClaim(claim: "the CIFAR-10 MLR-SNet transfers to other image data sets with comparable accuracy (Fig. 6)",
                           paper: "SVHN, Tiny-ImageNet: comparable to the baseline", group: "fashion-mnist", method: "mlrsnet", comparedWith: ["sgdm-multistep"],
                           comparableWithin: 0.01),
                PaperClaim(claim: "… and even to text (Fig. 6)", paper: "PTB: comparable perplexity", group: "ptb", method: "mlrsnet",
                           comparedWith: ["sgd-plateau"], comparableWithin: 0.05),
            ],
            notes: [
                "SVHN and Tiny-ImageNet are not on this machine; Fashion-MNIST stands in as the second image data set.",
                "Image → text: the image artifact's γ = 1 is replaced by the paper's text γ = 40 and the cell sees L / ln V (as the paper's text runs), so its input range matches what it saw on images.",
            ])
    }
}
