import Foundation
import Testing
import MLRSNetDemo
import TestSupport

/// The quick demo end to end on the embedded Fashion-MNIST sample (a few seconds): every method
/// runs, the files exist, and the numbers are sane (accuracy well above the 10% of chance, finite losses,
/// the hand-designed schedules' LRs exactly as configured).
@Suite struct DemoEndToEnd {
    @Test func quickDemoWritesReportPlotsAndSaneNumbers() throws {
        let out = try TestData.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Exactly `mlrsnet demo --quick` (800 training + 200 validation + 300 test images, 2 epochs × 25 steps),
        // without the progress display.
        let config = DemoConfiguration.quick(dataDirectory: TestData.demoFashionMNIST, outputDirectory: out, progress: .none)
        var lines: [String] = []
        let summary = try DemoRunner(configuration: config, log: { lines.append($0) }).run()

        #expect(summary.runs.map(\.method) == DemoMethod.allCases)
        #expect(summary.trainCount == 800 && summary.validationCount == 200 && summary.testCount == 300)
        for name in ["report.md", "results.csv", "epochs.csv", "steps.csv", "lr.svg", "test-accuracy.svg", "train-loss.svg", "mlrsnet.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "missing \(name)")
            #expect(summary.files.contains(name), "\(name) not listed")
        }
        let steps = 2 * summary.stepsPerEpoch
        #expect(summary.stepsPerEpoch == 25)
        for r in summary.runs {
            #expect(r.history.count == 2)
            #expect(r.learningRates.count == steps && r.losses.count == steps)
            #expect(r.losses.allSatisfy { $0.isFinite && $0 > 0 })
            #expect(r.learningRates.allSatisfy { $0.isFinite && $0 >= 0 })
            // 10 classes: chance is 10%; two short epochs of SGD-momentum reach far more on Fashion-MNIST.
            let acc = try #require(r.finalTestAccuracy)
            #expect(acc > 0.3, "\(r.method.rawValue): test accuracy \(acc)")
        }
        let byMethod = Dictionary(uniqueKeysWithValues: summary.runs.map { ($0.method, $0) })
        #expect(byMethod[.fixed]!.learningRates.allSatisfy { $0 == 0.05 })
        #expect(byMethod[.multistep]!.learningRates[0] == 0.05)
        #expect(abs(byMethod[.multistep]!.learningRates[steps - 1] - 0.005) < 1e-7)   // × 0.1 from epoch 1
        #expect(byMethod[.cosine]!.learningRates[0] == 0.05 && byMethod[.cosine]!.learningRates[steps - 1] < 0.001)
        // MLR-SNet's first LR is the configured one (its output bias is set so); it was meta-updated.
        #expect(abs(byMethod[.mlrsnetMeta]!.learningRates[0] - 0.05) < 1e-4)
        #expect(byMethod[.mlrsnetMeta]!.metaUpdates == steps / config.metaInterval)

        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(report.contains("| MLR-SNet (meta-trained here) |") && report.contains("![Learning rate of every step](lr.svg)"))
        let svg = try String(contentsOfFile: out + "/lr.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
        let csv = try String(contentsOfFile: out + "/steps.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 5 * steps)
        #expect(lines.contains { $0.contains("final test acc") })
    }

    @Test func badConfigurationsAreRejectedWithTheValue() {
        var c = DemoConfiguration.quick(outputDirectory: "unused")
        c.epochs = 0
        #expect(throws: DemoError.self) { try c.validate() }
        c = DemoConfiguration(dataDirectory: "/nonexistent-demo-data", outputDirectory: NSTemporaryDirectory() + "unused-demo")
        #expect { try DemoRunner(configuration: c, log: { _ in }).run() } throws: { e in
            "\(e)".contains("/nonexistent-demo-data")
        }
    }
}
