import ArgumentParser
import Foundation
import Schedules
import LearnedSchedule
import Training

/// `mlrsnet train`: one training run with a hand-designed or a frozen learned schedule, with logs, checkpoints and resume.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model with a hand-designed, adaptive (HD, L4, RTHO), RL-controlled or meta-learned (frozen MLR-SNet) learning-rate schedule.",
        discussion: """
        Writes steps.csv/.jsonl (every step's LR and loss), epochs.csv/.jsonl (train/validation/test metrics, wall \
        time) and checkpoint.safetensors (every epoch and on Ctrl-C) to --out; --resume continues a run from there \
        bit-identically.
        Example: mlrsnet train --dataset fashion-mnist --model smallcnn --optimizer sgdm --lr 0.1 \
        --schedule multistep --milestones 5,8 --epochs 10 --out runs/fmnist
        """)

    @OptionGroup var options: RunOptions

    // Schedule
    @Option(help: "Initial learning rate.") var lr: Double = 0.1
    @Option(help: "Schedule.") var schedule: ScheduleChoice = .fixed
    @Option(help: "Decay factor (exp: per epoch; multistep: at each milestone; plateau: factor).") var gamma: Double?
    @Option(help: "Milestone epochs for multistep, e.g. 100,150 (default: ½ and ¾ of the epochs).") var milestones: String?
    @Option(help: "SGDR first period (epochs).") var t0: Int = 10
    @Option(help: "SGDR period multiplier.") var tMult: Int = 2
    @Option(help: "Plateau patience (epochs).") var patience: Int = 0
    @Option(help: "Minimum LR (cosine, sgdr, plateau).") var minLR: Double = 0
    @Option(help: "MLR-SNet artifact(s) for --schedule mlrsnet: one file (plug-and-play), or three comma-separated files for the reference's staged policy (switch at T/3 and 2T/3, γ recomputed from the current loss).")
    var scheduler: String?
    @Option(help: "MLR-SNet LR bounds, e.g. 0,1 (min,max); also clamps the LR of --schedule hd, l4, rtho.") var lrBounds: String?
    @OptionGroup(title: "Adaptive baselines (--schedule hd, l4, rtho)") var adaptive: AdaptiveOptions
    @Flag(help: "--schedule lr-controller: sample the policy's actions (seeded by --seed) instead of taking its mode.") var controllerSample = false

    var scheduleConfig: ScheduleConfig {
        switch schedule {
        case .fixed: return ScheduleConfig(kind: "fixed", parameters: ["lr": .number(lr)])
        case .exp: return ScheduleConfig(kind: "exponential", parameters: ["initial": .number(lr), "gamma": .number(gamma ?? 0.95)])
        case .multistep:
            let ms = milestones.map { $0.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
                ?? [Double(options.epochs / 2), Double(options.epochs * 3 / 4)]
            return ScheduleConfig(kind: "multistep", parameters: ["initial": .number(lr), "milestones": .numbers(ms), "gamma": .number(gamma ?? 0.1)])
        case .cosine: return ScheduleConfig(kind: "cosine", parameters: ["initial": .number(lr), "length": .number(Double(options.epochs)), "minimum": .number(minLR)])
        case .sgdr: return ScheduleConfig(kind: "sgdr", parameters: ["initial": .number(lr), "t0": .number(Double(t0)), "tMult": .number(Double(tMult)), "minimum": .number(minLR)])
        case .plateau: return ScheduleConfig(kind: "plateau", parameters: ["initial": .number(lr), "factor": .number(gamma ?? 0.25), "patience": .number(Double(patience)), "minimum": .number(minLR)])
        case .mlrsnet: return ScheduleConfig(kind: "fixed", parameters: ["lr": .number(lr)])   // replaced by the artifact
        case .hd, .l4, .rtho: return ScheduleConfig(kind: "fixed", parameters: ["lr": .number(lr)])   // not used: a StepUpdater
        case .lrController: return ScheduleConfig(kind: "fixed", parameters: ["lr": .number(lr)])   // replaced by the controller
        }
    }

    func validate() throws {
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number (got \(lr))") }
        if schedule == .plateau && options.validationPerClass == 0 && options.dataset != .ptb {
            throw ValidationError("--schedule plateau watches the validation loss: add --validation-per-class N")
        }
        if let milestones, milestones.split(separator: ",").contains(where: { Double($0.trimmingCharacters(in: .whitespaces)) == nil }) {
            throw ValidationError("--milestones must be comma-separated epoch numbers, e.g. 100,150 (got \(milestones))")
        }
        try adaptive.validate(schedule, options: options)
        if schedule == .lrController {
            guard scheduler != nil else { throw ValidationError("--schedule lr-controller needs --scheduler FILE (an lr-controller artifact)") }
        } else if schedule.isAdaptive {
        } else if schedule == .mlrsnet {
            guard scheduler != nil else { throw ValidationError("--schedule mlrsnet needs --scheduler FILE (a meta-trained artifact)") }
        } else {
            do { _ = try scheduleConfig.makeSchedule() } catch { throw ValidationError("--schedule: \(error)") }
        }
    }

    func run() throws {
        Interruption.install()
        if schedule.isAdaptive { return try adaptive.run(schedule, options: options, lr: lr, lrBounds: lrBounds) }
        let setup: RunSetup
        let schedule: AnySchedule
        do {
            setup = try RunSetup.build(options)
            schedule = self.schedule == .mlrsnet ? try learnedSchedule(setup) : try scheduleConfig.makeSchedule()
        } catch { throw CLIError("\(error)") }   // (a CleanExit would exit 0: scripts must see the failure)
        for line in setup.summary { say(line) }
        if self.schedule == .lrController {
            let updater: StepUpdater
            do { updater = try lrControllerUpdater(setup) } catch { throw CLIError("\(error)") }
            say("schedule: \(updater.summary)")
            _ = try options.execute(setup: setup, updater: updater)
            return
        }
        say("schedule: \(schedule.summary)")
        _ = try options.execute(setup: setup, updater: ScheduledUpdate(schedule))
    }

    /// The meta-test schedule: one artifact (or three, staged), θ frozen, zero state.
    func learnedSchedule(_ setup: RunSetup) throws -> AnySchedule {
        let files = scheduler!.split(separator: ",").map { String($0) }
        let artifacts = try files.map { try MLRSNetArtifact.read($0) }
        let bounds = try parseBounds(lrBounds)
        if artifacts.count == 1 {
            return AnySchedule(try LearnedLRSchedule(artifact: artifacts[0], bounds: bounds))
        }
        guard artifacts.count == 3 else { throw CLIError("--scheduler takes one artifact or three (staged), got \(artifacts.count)") }
        return AnySchedule(try LearnedLRSchedule(stages: artifacts, total: options.epochs, unit: .epoch, bounds: bounds))
    }
}

/// Parses "min,max" LR bounds.
func parseBounds(_ text: String?) throws -> LearningRateBounds {
    guard let text else { return .unbounded }
    let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let lo = parts[0], let hi = parts[1] else { throw CLIError("LR bounds must be 'min,max', got '\(text)'") }
    return try LearningRateBounds(minimum: lo, maximum: hi)
}

extension RunOptions {
    /// Runs the trainer with `updater`, resuming when asked, and prints the per-epoch summary.
    func execute(setup: RunSetup, updater: any StepUpdater, extraDescription: [String: String] = [:]) throws -> Trainer {
        var description = extraDescription
        description["command"] = CommandLine.arguments.joined(separator: " ")
        let options = TrainerOptions(epochs: epochs, clipNorm: clip, outputDirectory: out, progress: progress.mode,
                                     itemsPerStep: setup.itemsPerStep, runDescription: description,
                                     divergence: try reliability.divergencePolicy, checkpointEverySteps: reliability.checkpointEvery)
        let trainer = try Trainer(task: setup.task, optimizer: setup.optimizer, updater: updater, options: options)
        if resume, let p = trainer.checkpointPath {
            if FileManager.default.fileExists(atPath: p) || FileManager.default.fileExists(atPath: p + ".prev") {
                try trainer.resume(from: p)
            } else {
                say("no checkpoint in \(out!) yet: starting from the beginning")
            }
        }
        do {
            try trainer.run()
        } catch let e as TrainingError {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(e.isInterruption ? 130 : 1)
        }
        printSummary(trainer.history)
        return trainer
    }

    func printSummary(_ history: [EpochRecord]) {
        let text = dataset == .ptb
        say(text ? "epoch  train loss  val ppl   test ppl   LR        seconds" : "epoch  train loss  val acc   test acc   LR        seconds")
        for r in history {
            func m(_ e: EvaluationMetrics?) -> String {
                guard let e else { return "    -    " }
                return text ? String(format: "%9.2f", e.perplexity) : String(format: "%8.2f%%", 100 * (e.accuracy ?? 0))
            }
            say(String(format: "%5d  %10.4f  %@  %@  %-8.4g  %7.1f", r.epoch + 1, r.trainLoss, m(r.validation), m(r.test), r.learningRate, r.seconds))
        }
    }
}

extension ProgressChoice {
    var mode: ProgressReporter.Mode { ProgressReporter.Mode(rawValue: rawValue) ?? .auto }
}

extension TrainingError {
    var isInterruption: Bool { if case .interrupted = self { return true } else { return false } }
}
