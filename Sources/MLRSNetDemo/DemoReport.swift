import Foundation
import Training

/// Writes the demo's outputs: `report.md` (setup, result table, plots, how to reproduce), `results.csv`
/// (one row per method), `epochs.csv` and `steps.csv` (every curve), and three SVG plots.
struct DemoReport {
    var summary: DemoSummary
    var artifactFile: String?

    /// Writes every file into `directory`; returns their names.
    func write(to directory: String) throws -> [String] {
        var files: [String: String] = [:]
        files["results.csv"] = resultsCSV()
        files["epochs.csv"] = epochsCSV()
        files["steps.csv"] = stepsCSV()
        files["lr.svg"] = lrPlot().render()
        files["test-accuracy.svg"] = accuracyPlot().render()
        files["train-loss.svg"] = lossPlot().render()
        files["report.md"] = markdown()
        let order = ["report.md", "results.csv", "epochs.csv", "steps.csv", "lr.svg", "test-accuracy.svg", "train-loss.svg"]
        for name in order {
            let path = directory + "/" + name
            do { try files[name]!.write(toFile: path, atomically: true, encoding: .utf8) }
            catch { throw DemoError.invalid("cannot write \(path): \(error.localizedDescription)") }
        }
        return order + (artifactFile.map { [$0] } ?? [])
    }

    func resultsCSV() -> String {
        var s = "method,final_test_accuracy,best_test_accuracy,final_test_loss,final_train_loss,first_lr,last_lr,seconds,cpu_seconds,meta_updates\n"
        for r in summary.runs {
            let cells: [String] = [r.method.rawValue, opt(r.finalTestAccuracy), opt(r.bestTestAccuracy), opt(r.finalTestLoss),
                                   opt(r.finalTrainLoss), r.learningRates.first.map { "\($0)" } ?? "",
                                   r.learningRates.last.map { "\($0)" } ?? "", "\(r.seconds)", "\(r.cpuSeconds)", r.metaUpdates.map(String.init) ?? ""]
            s += cells.joined(separator: ",") + "\n"
        }
        return s
    }

    func epochsCSV() -> String {
        var s = "method,epoch,step,lr,train_loss,test_loss,test_accuracy,seconds\n"
        for r in summary.runs {
            for e in r.history {
                s += "\(r.method.rawValue),\(e.epoch + 1),\(e.step),\(e.learningRate),\(e.trainLoss),\(opt(e.test?.loss)),\(opt(e.test?.accuracy)),\(e.seconds)\n"
            }
        }
        return s
    }

    func stepsCSV() -> String {
        var s = "method,step,lr,loss\n"
        for r in summary.runs {
            for (i, (lr, l)) in zip(r.learningRates, r.losses).enumerated() { s += "\(r.method.rawValue),\(i),\(lr),\(l)\n" }
        }
        return s
    }

    func lrPlot() -> SVGPlot {
        var p = SVGPlot(title: "Learning rate of every step", xLabel: "epoch", yLabel: "learning rate")
        let perEpoch = Double(summary.stepsPerEpoch)
        for r in summary.runs {
            p.series.append(.init(name: r.method.shortTitle, points: r.learningRates.enumerated().map { (Double($0.offset) / perEpoch, Double($0.element)) }))
        }
        return p
    }

    func accuracyPlot() -> SVGPlot {
        var p = SVGPlot(title: "Test accuracy after each epoch", xLabel: "epoch", yLabel: "test accuracy (%)")
        for r in summary.runs {
            p.series.append(.init(name: r.method.shortTitle, points: r.history.compactMap { e in
                e.test?.accuracy.map { (Double(e.epoch + 1), 100 * $0) } }))
        }
        return p
    }

    /// Training loss, averaged over windows of about a tenth of an epoch (single mini-batch losses are noisy).
    func lossPlot() -> SVGPlot {
        var p = SVGPlot(title: "Training loss (mini-batch losses, window mean)", xLabel: "epoch", yLabel: "training loss", logY: true)
        let perEpoch = summary.stepsPerEpoch, window = max(1, perEpoch / 10)
        for r in summary.runs {
            var points: [(x: Double, y: Double)] = []
            var i = 0
            while i < r.losses.count {
                let chunk = r.losses[i..<min(i + window, r.losses.count)]
                let mean = chunk.reduce(0.0) { $0 + Double($1) } / Double(chunk.count)
                points.append((Double(i + chunk.count) / Double(perEpoch), mean))
                i += window
            }
            p.series.append(.init(name: r.method.shortTitle, points: points))
        }
        return p
    }

    func markdown() -> String {
        let s = summary, c = summary.configuration
        let best = s.runs.filter { $0.method != .mlrsnetMeta && $0.method != .mlrsnetTransfer }
            .max { ($0.finalTestAccuracy ?? 0) < ($1.finalTestAccuracy ?? 0) }
        let meta = s.runs.first { $0.method == .mlrsnetMeta }
        let transfer = s.runs.first { $0.method == .mlrsnetTransfer }
        var md = """
        # MLR-SNet demo report

        `mlrsnet demo` trained the same SmallCNN (\(s.parameterCount) parameters, same initial weights and batch order, seed \(c.seed)) \
        on the embedded Fashion-MNIST sample with SGD + momentum \(c.momentum) (weight decay \(c.weightDecay), batch \(c.batchSize), \
        \(c.epochs) epochs × \(s.stepsPerEpoch) steps) under \(s.runs.count) learning-rate schedules, and measured test accuracy after every epoch.

        - Data (`\(c.dataDirectory)`): \(s.trainCount) training images; \(s.validationCount) held-out validation images \
        (\(c.validationPerClass) per class, disjoint from training, used only by MLR-SNet's meta-update); \(s.testCount) test images.
        - **MLR-SNet (meta-trained here)**: the paper's Algorithm 1 — every step's LR is the meta-learner's output for that \
        step's training loss; every \(c.metaInterval) steps the meta-learner is updated by one Adam step (lr 1e-3) on the \
        validation loss after a virtual SGD step. Reference meta-test architecture, hidden size 40, γ = 1, first LR \(c.learningRate).\
        \(meta?.metaUpdates.map { " \($0) meta-updates." } ?? "")
        - **MLR-SNet (CIFAR-10 artifact)**: the meta-learner shipped in `Sources/LearnedSchedule/Pretrained/` (meta-trained on \
        CIFAR-10 with ResNet-20), transferred plug-and-play: θ frozen, fresh state, no validation data used.
        - Hand-designed: Fixed LR \(c.learningRate); MultiStep \(c.learningRate) × 0.1 after epoch \
        \(DemoRunner(configuration: c).milestones.map(String.init).joined(separator: " and ")); Cosine \(c.learningRate) → 0 over every step.

        ## Results

        | schedule | final test accuracy | best test accuracy | final train loss | LR first → last | seconds | CPU seconds |
        |---|---:|---:|---:|---|---:|---:|

        """
        for r in s.runs {
            let lr = r.learningRates.isEmpty ? "-" : "\(fmtLR(r.learningRates.first!)) → \(fmtLR(r.learningRates.last!))"
            md += "| \(r.method.title) | \(pct(r.finalTestAccuracy)) | \(pct(r.bestTestAccuracy)) | "
                + "\(r.finalTrainLoss.map { fmt($0, 4) } ?? "-") | \(lr) | \(fmt(r.seconds, 1)) | \(fmt(r.cpuSeconds, 1)) |\n"
        }
        md += "\n"
        if let best, let b = best.finalTestAccuracy {
            var notes: [String] = ["Best hand-designed schedule in this run: \(best.method.title) (\(pct(b)))."]
            for r in [meta, transfer].compactMap({ $0 }) {
                if let a = r.finalTestAccuracy {
                    let d = 100 * (a - b)
                    notes.append("\(r.method.title): \(pct(a)), \(d >= 0 ? "+" : "")\(fmt(d, 2)) points against it.")
                }
            }
            md += notes.joined(separator: " ") + "\n\n"
        }
        md += """
        This is one seed on \(s.testCount) test images at a few minutes' scale: differences below about \
        \(fmt(100 * 1.96 * (0.25 / Double(max(s.testCount, 1))).squareRoot(), 1)) points (the 95% binomial half-width at 50%) \
        are within noise. The paper's claims (MLR-SNet matching the best hand-designed schedule, transferring across \
        data sets and architectures) are tested at larger scale by `mlrsnet reproduce`.

        ## Plots

        ![Learning rate of every step](lr.svg)

        ![Test accuracy after each epoch](test-accuracy.svg)

        ![Training loss](train-loss.svg)

        ## Run

        Wall time \(fmt(s.wallSeconds, 1)) s, CPU time \(fmt(s.cpuSeconds, 1)) s (user + system, all threads), \
        \(ProcessInfo.processInfo.activeProcessorCount) cores, \(machineDescription()).
        Files: `results.csv` (one row per schedule), `epochs.csv` (per-epoch train loss, test loss and accuracy, LR), \
        `steps.csv` (every step's LR and mini-batch loss), the three SVG plots\
        \(artifactFile.map { ", and `\($0)`, the meta-trained MLR-SNet (use it with `mlrsnet train --schedule mlrsnet --scheduler`)" } ?? "").

        The same runs one by one with the CLI (each also writes logs and checkpoints):

        ```sh

        """
        let common = "--dataset fashion-mnist --data \(c.dataDirectory) --model smallcnn --optimizer sgdm --momentum \(c.momentum) "
            + "--weight-decay \(c.weightDecay) --epochs \(c.epochs) --batch-size \(c.batchSize) --seed \(c.seed) "
            + "--validation-per-class \(c.validationPerClass)"
            + (c.trainPerClass.map { " --train-per-class \($0)" } ?? "") + (c.testPerClass.map { " --test-per-class \($0)" } ?? "")
        for r in s.runs {
            switch r.method {
            case .mlrsnetMeta:
                md += "swift run -c release mlrsnet meta-train \(common) --first-lr \(c.learningRate) --meta-interval \(c.metaInterval) --meta-seed \(c.seed) --out runs/meta\n"
            case .mlrsnetTransfer:
                md += "swift run -c release mlrsnet train \(common) --schedule mlrsnet --scheduler Sources/LearnedSchedule/Pretrained/cifar10-resnet20-cpu.safetensors --out runs/transfer\n"
            case .fixed:
                md += "swift run -c release mlrsnet train \(common) --lr \(c.learningRate) --schedule fixed --out runs/fixed\n"
            case .multistep:
                let ms = DemoRunner(configuration: c).milestones.map(String.init).joined(separator: ",")
                md += "swift run -c release mlrsnet train \(common) --lr \(c.learningRate) --schedule multistep --milestones \(ms) --out runs/multistep\n"
            case .cosine:
                md += "# cosine per step (the CLI's cosine anneals per epoch):\nswift run -c release mlrsnet train \(common) --lr \(c.learningRate) --schedule cosine --out runs/cosine\n"
            }
        }
        md += "```\n"
        return md
    }
}

private func opt(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }

/// The CPU model from /proc/cpuinfo where there is one.
func machineDescription() -> String {
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let name = line.split(separator: ":", maxSplits: 1).last {
        return name.trimmingCharacters(in: .whitespaces)
    }
    return "CPU model unknown"
}
