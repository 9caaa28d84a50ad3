import Foundation
import Testing
import Datasets
import Tensor
import TestSupport

private func fixturePath(_ name: String) throws -> String {
    try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")).path
}

@Suite struct IDXLoading {
    @Test(arguments: ["tiny-images-idx3-ubyte", "tiny-images-idx3-ubyte.gz"])
    func loadsTinyPair(images: String) throws {
        let set = try IDX.load(images: try fixturePath(images), labels: try fixturePath("tiny-labels-idx1-ubyte"))
        #expect(set.images.shape == [3, 1, 2, 2])
        #expect(set.labels == [0, 1, 9])
        // Pixel bytes 0, 255, 51, 102 scale to 0, 1, 0.2, 0.4.
        #expect(set.images[0, 0, 0, 0] == 0)
        #expect(set.images[0, 0, 0, 1] == 1)
        #expect(abs(set.images[0, 0, 1, 0] - 0.2) < 1e-6)
        #expect(abs(set.images[0, 0, 1, 1] - 0.4) < 1e-6)
    }

    @Test func reportsBrokenFiles() throws {
        let dir = try TestData.temporaryDirectory("idx")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixturePath("tiny-images-idx3-ubyte"))))
        let labels = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try fixturePath("tiny-labels-idx1-ubyte"))))
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let p = dir + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            return p
        }
        let goodImages = try write("images", images), goodLabels = try write("labels", labels)
        func kind(_ body: () throws -> Void) -> DatasetError.Kind? {
            do { try body(); return nil } catch let e as DatasetError { return e.kind } catch { return nil }
        }
        var magic = images; magic[2] = 0x09
        #expect(kind { _ = try IDX.load(images: try write("m", magic), labels: goodLabels) } == .badMagic)
        #expect(kind { _ = try IDX.load(images: try write("t", Array(images.dropLast(3))), labels: goodLabels) } == .truncated)
        #expect(kind { _ = try IDX.load(images: try write("x", images + [0]), labels: goodLabels) } == .wrongSize)
        var badLabel = labels; badLabel[badLabel.count - 1] = 10
        #expect(kind { _ = try IDX.load(images: goodImages, labels: try write("l", badLabel)) } == .labelOutOfRange)
        var fewer = labels; fewer[7] = 2; fewer.removeLast()
        #expect(kind { _ = try IDX.load(images: goodImages, labels: try write("f", fewer)) } == .mismatch)
        #expect(kind { _ = try IDX.load(images: dir + "/missing", labels: goodLabels) } == .unreadable)
        #expect(kind { _ = try IDX.load(images: dir, labels: goodLabels) } == .unreadable)
        // The error names the file.
        do { _ = try IDX.load(images: try write("m2", magic), labels: goodLabels); Issue.record("no error") }
        catch let e as DatasetError { #expect(e.description.contains("m2")) }
    }

    @Test func loadsEmbeddedDemoSample() throws {
        let train = try IDX.loadSplit(directory: TestData.demoFashionMNIST, split: "train")
        let test = try IDX.loadSplit(directory: TestData.demoFashionMNIST, split: "t10k")
        #expect(train.images.shape == [5000, 1, 28, 28])
        #expect(test.images.shape == [1000, 1, 28, 28])
        var perClass = [Int](repeating: 0, count: 10)
        for l in train.labels { perClass[Int(l)] += 1 }
        #expect(perClass == [Int](repeating: 500, count: 10))
    }

    @Test(.enabled(if: TestData.fashionMNIST != nil, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func loadsFullFashionMNIST() throws {
        let dir = try #require(TestData.fashionMNIST)
        let train = try IDX.loadSplit(directory: dir, split: "train")
        let test = try IDX.loadSplit(directory: dir, split: "t10k")
        #expect(train.count == 60000)
        #expect(test.count == 10000)
        #expect(train.images.shape == [60000, 1, 28, 28])
        let m = train.images.mean()
        #expect(abs(m - 0.286) < 0.01)   // Fashion-MNIST's known pixel mean ≈ 0.2860
    }
}
