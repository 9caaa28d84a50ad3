import Foundation

/// Where tests find the repository's embedded data and the optional real data sets.
///
/// Tests that need data a fresh clone lacks (`../shared/data`, Debian's `dataset-fashion-mnist`) check
/// these paths and are skipped with a visible reason when they are absent; CI has both and runs them.
public enum TestData {
    /// The repository root (found from this source file's location).
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }   // Tests/TestSupport/Paths.swift → root
        return url.path
    }()

    /// `Data/fashion-mnist-sample`, committed with the repository.
    public static var demoFashionMNIST: String { repositoryRoot + "/Data/fashion-mnist-sample" }

    /// `../shared/data` beside the repository, when present.
    public static var sharedData: String? {
        let p = (repositoryRoot as NSString).deletingLastPathComponent + "/shared/data"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// The full Fashion-MNIST from Debian's package, when installed.
    public static var fashionMNIST: String? {
        let p = "/usr/share/datasets/fashion-mnist"
        return FileManager.default.fileExists(atPath: p + "/train-images-idx3-ubyte.gz") ? p : nil
    }

    /// A fresh temporary directory for a test's files.
    public static func temporaryDirectory(_ tag: String = "test") throws -> String {
        let p = NSTemporaryDirectory() + "mlrsnet-\(tag)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }
}
