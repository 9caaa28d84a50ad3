// swift-tools-version: 6.1
// mlrsnet-swift: learned, transferable learning-rate schedules (MLR-SNet) on a CPU engine written in Swift.
import PackageDescription

let package = Package(
    name: "mlrsnet-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Schedules", targets: ["Schedules"]),
        .library(name: "Optim", targets: ["Optim"]),
        .library(name: "LearnedSchedule", targets: ["LearnedSchedule"]),
        .library(name: "MetaLearning", targets: ["MetaLearning"]),
        .library(name: "MLRSNetDemo", targets: ["MLRSNetDemo"]),
        .library(name: "Baselines", targets: ["Baselines"]),
        .library(name: "LRController", targets: ["LRController"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "Corruptions", targets: ["Corruptions"]),
        .executable(name: "mlrsnet", targets: ["mlrsnet"]),
        .executable(name: "mlrsnet-bench", targets: ["mlrsnet-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Tiny C target: SIMD micro-kernels compiled per function for AVX-512 / AVX2+FMA with a
        // runtime CPU check and a portable fallback (no unsafeFlags needed).
        .target(name: "CKernels"),
        .target(name: "SafeTensors"),
        .target(name: "Tensor", dependencies: ["CKernels", "SafeTensors"]),
        .target(name: "NN", dependencies: ["Tensor"]),
        .target(name: "Datasets", dependencies: ["Tensor"]),
        .target(name: "Schedules"),
        .target(name: "Optim", dependencies: ["NN", "Tensor"]),
        .target(name: "Training", dependencies: ["NN", "Tensor", "Optim", "Schedules", "Datasets"]),
        .target(name: "LearnedSchedule", dependencies: ["Schedules", "SafeTensors"], resources: [.copy("Pretrained")]),
        .target(name: "MetaLearning", dependencies: ["LearnedSchedule", "Training", "NN", "Tensor", "Optim", "Schedules"]),
        .target(name: "Baselines", dependencies: ["Training", "Optim", "NN", "Tensor", "Schedules"]),
        .target(name: "LRController", dependencies: ["Training", "NN", "Optim", "Tensor", "Schedules", "SafeTensors", "Datasets", "LearnedSchedule"]),
        .target(name: "Experiments", dependencies: ["Training", "NN", "Tensor", "Optim", "Schedules", "Datasets", "LearnedSchedule", "MetaLearning", "SafeTensors", "Baselines", "LRController"]),
        .target(name: "Corruptions", dependencies: ["Tensor"]),
        // `mlrsnet demo`'s logic (a library so a test can run the quick demo end to end).
        .target(name: "MLRSNetDemo", dependencies: ["MetaLearning", "LearnedSchedule", "Training", "Datasets", "NN", "Tensor", "Optim", "Schedules"]),
        .executableTarget(
            name: "mlrsnet",
            dependencies: ["Tensor", "NN", "Datasets", "Optim", "Schedules", "Training", "LearnedSchedule", "MetaLearning", "MLRSNetDemo", "Baselines", "LRController", "Experiments", "Corruptions", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "mlrsnet-bench",
            dependencies: ["Tensor", "NN", "Optim", "Schedules", "Training", "LearnedSchedule", "MetaLearning",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "TestSupport", dependencies: ["Tensor", "NN", "Datasets"], path: "Tests/TestSupport"),
        .testTarget(name: "MetaLearningTests", dependencies: ["MetaLearning", "LearnedSchedule", "Training", "NN", "Tensor", "Optim", "Schedules", "Datasets", "TestSupport"]),
        .testTarget(name: "MLRSNetDemoTests", dependencies: ["MLRSNetDemo", "TestSupport"]),
        .testTarget(name: "BaselinesTests", dependencies: ["Baselines", "Training", "NN", "Tensor", "Optim", "Schedules", "Datasets", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Training", "NN", "Tensor", "Optim", "Schedules", "Datasets", "LearnedSchedule", "TestSupport", "Corruptions", "LRController"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "NN", "Tensor", "Optim", "Schedules", "Datasets", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "Tensor"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SchedulesTests", dependencies: ["Schedules"]),
        .testTarget(name: "CorruptionsTests", dependencies: ["Corruptions", "Datasets", "Tensor", "TestSupport"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "NN", "Tensor", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LRControllerTests", dependencies: ["LRController", "Training", "NN", "Tensor", "Optim", "Schedules", "Datasets", "SafeTensors", "TestSupport"]),
        .testTarget(name: "LearnedScheduleTests", dependencies: ["LearnedSchedule", "Schedules", "SafeTensors"],
                    resources: [.copy("Fixtures")]),
        // Interruption (child processes killed and resumed), divergence, fuzzed parsers, determinism, resource limits.
        .testTarget(name: "ReliabilityTests", dependencies: ["Training", "MetaLearning", "LearnedSchedule", "Datasets", "SafeTensors",
                                                             "NN", "Tensor", "Optim", "Schedules", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
