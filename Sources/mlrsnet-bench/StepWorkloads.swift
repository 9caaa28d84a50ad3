import NN
import Optim
import Tensor

/// The models `mlrsnet-bench step` measures, with their batch shapes, optimiser settings, default
/// repetition counts (those of `bench_step.py`) and the PyTorch anchor that measures the same thing.
enum StepModel: String, CaseIterable, Codable {
    case smallcnn, resnet20, resnet18, wrn16_4 = "wrn16-4", mobilenetv2, lstm200, lstm512

    /// The row label.
    var title: String {
        switch self {
        case .smallcnn: return "SmallCNN b128"
        case .resnet20: return "ResNet-20 b128"
        case .resnet18: return "ResNet-18 b128"
        case .wrn16_4: return "WRN-16-4 b128"
        case .mobilenetv2: return "MobileNetV2 b128"
        case .lstm200: return "LSTM-LM 2x200 b20"
        case .lstm512: return "LSTM-LM 2x512 b32"
        }
    }

    /// Warm-up steps and timed steps by default (as `bench_step.py` uses for the same model).
    var defaultWarmup: Int {
        switch self {
        case .smallcnn, .lstm200: return 5
        case .resnet20, .lstm512: return 3
        case .resnet18, .wrn16_4, .mobilenetv2: return 2
        }
    }
    var defaultReps: Int {
        switch self {
        case .smallcnn: return 20
        case .lstm200: return 15
        case .resnet20, .lstm512: return 10
        case .resnet18, .wrn16_4, .mobilenetv2: return 5
        }
    }

    /// How PyTorch measures it: `bench_step.py --models <letter>` (one process per letter; `d` runs
    /// four LSTM sizes), or our `scripts/bench/torch_step_extra.py --models <name>`; and the name of
    /// the result entry in the JSON that script writes.
    var torchAnchor: (script: TorchScript, selector: String, resultName: String) {
        switch self {
        case .resnet18: return (.benchStep, "a", "a resnet18_cifar")
        case .resnet20: return (.benchStep, "b", "b resnet20")
        case .smallcnn: return (.benchStep, "c", "c smallcnn")
        case .lstm200: return (.benchStep, "d", "d lstm200 b20")
        case .lstm512: return (.benchStep, "d", "d lstm512 b32")
        case .wrn16_4: return (.extra, "wrn16_4", "wrn16_4")
        case .mobilenetv2: return (.extra, "mobilenetv2", "mobilenetv2")
        }
    }

    enum TorchScript: String { case benchStep = "bench_step.py", extra = "torch_step_extra.py" }

    /// The model's name for `torch_step_extra.py --infer` (eval-mode inference); nil for the LSTM LMs,
    /// whose inference is not measured.
    var torchInferName: String? {
        switch self {
        case .smallcnn: return "smallcnn"
        case .resnet20: return "resnet20"
        case .resnet18: return "resnet18_cifar"
        case .wrn16_4: return "wrn16_4"
        case .mobilenetv2: return "mobilenetv2"
        case .lstm200, .lstm512: return nil
        }
    }
}

/// One model's training step and forward pass on a fixed random batch, built in the child process.
///
/// Step = zero the gradients, forward, softmax cross-entropy, backward, optimiser update — what
/// `bench_step.py` times (`zero_grad`, `model(x)`, `F.cross_entropy`, `backward`, `opt.step`).
/// Image models: SGD lr 0.01, momentum 0.9, weight decay 5e-4. LSTM LMs: plain SGD lr 1.0 with the
/// hidden state carried from step to step (truncated BPTT; our LSTM carries it by itself).
final class StepWorkload {
    let model: StepModel
    let parameterCount: Int
    /// Runs one full training step; returns the loss.
    let step: () -> Float
    /// Runs one forward pass only (train mode, as `bench_step.py`'s `fwd_nograd`; no backward).
    let forward: () -> Void
    /// Eval-mode inference (image models): `isTraining = false` (BatchNorm uses its running statistics,
    /// nothing cached for a backward), one forward of the same batch, then back to train mode.
    /// Nil for the LSTM LMs.
    let infer: (() -> Void)?

    init(_ model: StepModel, seed: UInt64 = 0) {
        self.model = model
        var rng = RandomGenerator(seed: seed)
        let loss = SoftmaxCrossEntropy()
        switch model {
        case .smallcnn, .resnet20, .resnet18, .wrn16_4, .mobilenetv2:
            let net: any Layer
            let input: [Int]
            switch model {
            case .smallcnn:
                net = SmallCNN(rng: &rng); input = [1, 28, 28]
            case .resnet20:
                net = CifarResNet.resnet(depth: 20, rng: &rng); input = [3, 32, 32]
            case .resnet18:
                net = CifarResNet.resnet18(rng: &rng); input = [3, 32, 32]
            case .mobilenetv2:
                net = MobileNetV2(rng: &rng); input = [3, 32, 32]
            default:
                net = WideResNet(depth: 16, widenFactor: 4, rng: &rng); input = [3, 32, 32]
            }
            let batch = 128
            let x = Tensor.normal([batch] + input, using: &rng)
            let labels = (0..<batch).map { _ in rng.nextInt(below: 10) }
            let params = net.parameters
            let sgd = SGD(momentum: 0.9, weightDecay: 5e-4)
            net.isTraining = true
            parameterCount = params.reduce(0) { $0 + $1.value.count }
            step = {
                for p in params { p.zeroGrad() }
                let (l, g) = loss(logits: net.forward(x), labels: labels)
                _ = net.backward(g)
                sgd.step(params, learningRate: 0.01)
                return l
            }
            forward = { _ = net.forward(x) }
            infer = {
                net.isTraining = false
                _ = net.forward(x)
                net.isTraining = true
            }

        case .lstm200, .lstm512:
            let (hidden, batch) = model == .lstm200 ? (200, 20) : (512, 32)
            let vocab = 10_000, seq = 35
            let lm = LSTMLanguageModel(vocabularySize: vocab, embeddingSize: hidden, hiddenSize: hidden,
                                       layers: 2, dropout: 0, tiedWeights: false, rng: &rng)
            let tokens = (0..<(seq * batch)).map { _ in Int32(rng.nextInt(below: vocab)) }
            let targets = (0..<(seq * batch)).map { _ in rng.nextInt(below: vocab) }
            let params = lm.parameters
            let sgd = SGD()
            lm.isTraining = true
            parameterCount = params.reduce(0) { $0 + $1.value.count }
            step = {
                for p in params { p.zeroGrad() }
                let logits = lm.forward(tokens: tokens, steps: seq, batch: batch)
                let (l, g) = loss(logits: logits, labels: targets)
                _ = lm.backward(g)
                sgd.step(params, learningRate: 1.0)
                return l
            }
            infer = nil
            // From a zero state each time, as `bench_step.py` passes `init_state` to its forward.
            forward = {
                lm.resetState()
                _ = lm.forward(tokens: tokens, steps: seq, batch: batch)
            }
        }
    }
}

/// What a child process measures for one model and hands back to the parent (as JSON).
struct StepChildResult: Codable {
    var model: String
    var params: Int
    var threads: Int
    var step: TimingSummary
    var fwd: TimingSummary
    /// Loss of the first and last step run (warm-up included): finite, and usually falling.
    var first_loss: Float
    var last_loss: Float
    /// Cores used by other processes during the timed steps (0 = quiet machine).
    var foreign_cores: Double
    /// The same during the forward-only timing.
    var fwd_foreign_cores: Double
    /// Eval-mode inference (`StepWorkload.infer`), image models only.
    var infer: TimingSummary?
    var infer_foreign_cores: Double?
    /// The child's own VmHWM at the end (the parent also reads its peak RSS from `wait4`).
    var self_peak_rss_bytes: Int
    /// Seconds spent building the model and batch.
    var setup_s: Double
    /// `--profile`: sampled wall-time share per (layer type, phase), largest first.
    var profile: [ProfileEntry]?
}

struct ProfileEntry: Codable {
    var label: String
    var samples: Int
    var fraction: Double
}
