import Testing
import NN
import Tensor
import TestSupport

@Suite struct ChannelOpsTests {
    @Test func concatPlacesChannelsInOrder() {
        // a: [2, 1, 2], b: [2, 2, 2] → [2, 3, 2]
        let a = Tensor(shape: [2, 1, 2], values: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2, 2], values: [10, 11, 12, 13, 20, 21, 22, 23])
        let y = concatChannels([a, b])
        #expect(y == Tensor(shape: [2, 3, 2], values: [1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23]))
    }

    @Test func splitInvertsConcat() {
        var rng = RandomGenerator(seed: 1)
        let xs = [3, 1, 4].map { Tensor.normal([2, $0, 3, 5], using: &rng) }
        let y = concatChannels(xs)
        #expect(y.shape == [2, 8, 3, 5])
        let parts = splitChannels(y, sizes: [3, 1, 4])
        #expect(parts == xs)
        #expect(concatChannels(splitChannels(y, sizes: [5, 0, 3])) == y)
    }

    /// concat and split are each other's adjoints: ⟨concat(xs), d⟩ = Σ_i ⟨x_i, split(d)_i⟩.
    @Test func concatAndSplitAreAdjoint() {
        var rng = RandomGenerator(seed: 2)
        let sizes = [2, 5, 3]
        let xs = sizes.map { Tensor.normal([3, $0, 4, 4], using: &rng) }
        let d = Tensor.normal([3, 10, 4, 4], using: &rng)
        let lhs = concatChannels(xs).dot(d)
        let rhs = zip(xs, splitChannels(d, sizes: sizes)).reduce(Float(0)) { $0 + $1.0.dot($1.1) }
        #expect(abs(lhs - rhs) <= 1e-4 * max(abs(lhs), 1))
    }

    /// Large enough to copy in parallel over the batch.
    @Test func largeConcatSplitRoundTrip() {
        var rng = RandomGenerator(seed: 3)
        let xs = [24, 40].map { Tensor.normal([16, $0, 16, 16], using: &rng) }
        #expect(splitChannels(concatChannels(xs), sizes: [24, 40]) == xs)
    }

    @Test func channelShufflePermutation() {
        // C = 6, groups = 2: view [2, 3] → transpose [3, 2] → channels [0, 3, 1, 4, 2, 5].
        let x = Tensor(shape: [1, 6, 1, 1], values: [0, 1, 2, 3, 4, 5])
        let shuffle = ChannelShuffle(groups: 2)
        #expect(shuffle.forward(x) == Tensor(shape: [1, 6, 1, 1], values: [0, 3, 1, 4, 2, 5]))
        // groups = 3: view [3, 2] → transpose [2, 3] → [0, 2, 4, 1, 3, 5].
        #expect(ChannelShuffle(groups: 3).forward(x) == Tensor(shape: [1, 6, 1, 1], values: [0, 2, 4, 1, 3, 5]))
    }

    @Test func channelShuffleBackwardIsInverse() {
        var rng = RandomGenerator(seed: 4)
        let shuffle = ChannelShuffle(groups: 3)
        let x = Tensor.normal([2, 12, 3, 3], using: &rng)
        let y = shuffle.forward(x)
        #expect(y != x)
        #expect(shuffle.backward(y) == x)
        let report = checkGradients(shuffle, input: x)
        #expect(report.passed, "\(report.summary)")
    }

    @Test func concatContainerGradientsAndNames() {
        var rng = RandomGenerator(seed: 5)
        let concat = Concat([Linear(inFeatures: 4, outFeatures: 3, rng: &rng),
                             Linear(inFeatures: 4, outFeatures: 2, bias: false, rng: &rng)])
        #expect(concat.parameters.map(\.name) == ["0.weight", "0.bias", "1.weight"])
        let x = Tensor.normal([5, 4], using: &rng)
        let y = concat.forward(x)
        #expect(y.shape == [5, 5])
        let report = checkGradients(concat, input: x)
        #expect(report.passed, "\(report.summary)")
    }

    @Test func concatContainerOnImagesWithBatchNorm() {
        var rng = RandomGenerator(seed: 6)
        let bn = BatchNorm2d(channels: 4)
        let concat = Concat([ChannelShuffle(groups: 2), bn], names: ["shuffle", "bn"])
        #expect(concat.buffers.map(\.name) == ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"])
        concat.isTraining = false
        #expect(!bn.isTraining)
        concat.isTraining = true
        #expect(bn.isTraining)
        let x = Tensor.normal([2, 4, 3, 3], using: &rng)
        #expect(concat.forward(x).shape == [2, 8, 3, 3])
        let report = checkGradients(concat, input: x)
        #expect(report.passed, "\(report.summary)")
    }
}
