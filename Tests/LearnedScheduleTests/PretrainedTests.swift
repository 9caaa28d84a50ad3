import LearnedSchedule
import Schedules
import Testing

@Suite struct ShippedArtifact {
    @Test func loadsAndGivesSaneLearningRates() throws {
        let artifact = try MLRSNetArtifact.pretrainedCIFAR10()
        #expect(artifact.configuration.architecture == .referenceMetaTest)
        #expect(artifact.configuration.hiddenSize == 40)
        var schedule = try LearnedLRSchedule.pretrainedCIFAR10()
        var lrs: [Float] = []
        for (t, loss) in [2.3, 2.0, 1.6, 1.2, 0.9, 0.7].enumerated() {
            lrs.append(schedule.learningRate(for: TrainingSignal(step: t, epoch: 0, stepsPerEpoch: 6, trainingLoss: Float(loss), validationLoss: nil)))
        }
        // γ = 1, so every LR lies in (0, 1); this artifact's LRs are around 0.01–0.05.
        #expect(lrs.allSatisfy { $0 > 0.001 && $0 < 0.2 })
        // Deterministic replay from a zero state.
        var again = try LearnedLRSchedule.pretrainedCIFAR10()
        let first = again.learningRate(for: TrainingSignal(step: 0, epoch: 0, stepsPerEpoch: 6, trainingLoss: 2.3, validationLoss: nil))
        #expect(first == lrs[0])
    }
}
