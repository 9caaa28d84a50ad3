import Foundation

extension MLRSNetArtifact {
    /// The MLR-SNet shipped with this package: meta-trained by this project on CIFAR-10 (JPEG q75) with a
    /// ResNet-20 at CPU scale (see `Pretrained/README.md` for the exact run, its provenance and numbers).
    public static func pretrainedCIFAR10() throws -> MLRSNetArtifact {
        guard let url = Bundle.module.url(forResource: "cifar10-resnet20-cpu", withExtension: "safetensors",
                                          subdirectory: "Pretrained")
                ?? Bundle.module.url(forResource: "cifar10-resnet20-cpu", withExtension: "safetensors") else {
            throw MLRSNetArtifactError.file(.unreadable("the bundled Pretrained/cifar10-resnet20-cpu.safetensors (missing from the package)"))
        }
        return try read(url.path)
    }
}

extension LearnedLRSchedule {
    /// The shipped CIFAR-10 MLR-SNet as a plug-and-play schedule (θ frozen, zero state): one line for any
    /// training loop — `var schedule = try LearnedLRSchedule.pretrainedCIFAR10()`.
    public static func pretrainedCIFAR10(bounds: LearningRateBounds = .unbounded) throws -> LearnedLRSchedule {
        try LearnedLRSchedule(artifact: MLRSNetArtifact.pretrainedCIFAR10(), bounds: bounds)
    }
}
