import Foundation
import LearnedSchedule
import Schedules
import Testing

@Suite struct GammaRules {
    /// γ = |√L0 · ln(L0·C) / C^¼ / 4|, worked by hand:
    /// CIFAR-10 at L0 = ln 10 = 2.302585: √L0 = 1.517427, ln(23.02585) = 3.136618, 10^¼ = 1.778279
    ///   → 1.517427 · 3.136618 / 1.778279 / 4 = 0.669128.
    /// CIFAR-100 at L0 = ln 100 = 4.605170: √L0 = 2.145966, ln(460.5170) = 6.132350, 100^¼ = 3.162278
    ///   → 2.145966 · 6.132350 / 3.162278 / 4 = 1.040375.
    /// L0 = 0.05, C = 10: √0.05 = 0.223607, ln 0.5 = −0.693147 → |−0.155| / 1.778279 / 4 = 0.021790.
    @Test func referenceRuleByHand() {
        #expect(abs(GammaPolicy.reference(classes: 10).gamma(initialLoss: log(10)) - 0.669128) < 1e-6)
        #expect(abs(GammaPolicy.reference(classes: 100).gamma(initialLoss: log(100)) - 1.040375) < 1e-6)
        #expect(abs(GammaPolicy.reference(classes: 10).gamma(initialLoss: 0.05) - 0.021790) < 1e-6)
    }

    /// Text: P0 = exp(L0) = 100, V = 10 000: √100 · ln(10⁶) / 10 000^¼ / 4 = 10 · 13.815511 / 10 / 4 = 3.453878.
    @Test func perplexityRuleByHand() {
        #expect(abs(GammaPolicy.referencePerplexity(vocabularySize: 10_000).gamma(initialLoss: log(100)) - 3.453878) < 1e-6)
    }

    /// The rule is 0 at L0 = 1/C (ln 1 = 0) and non-finite for L0 ≤ 0: both give the documented floor, never 0,
    /// a negative value or NaN.
    @Test func guardAtOneOverC() {
        let rule = GammaPolicy.reference(classes: 10)
        #expect(GammaPolicy.referenceRule(0.1, count: 10) == 0)
        #expect(rule.gamma(initialLoss: 0.1) == GammaPolicy.minimumReferenceGamma)
        #expect(rule.gamma(initialLoss: 0.1000001) == GammaPolicy.minimumReferenceGamma)  // 4.4e-8 < 1e-3
        #expect(rule.gamma(initialLoss: 0) == GammaPolicy.minimumReferenceGamma)
        #expect(rule.gamma(initialLoss: -1) == GammaPolicy.minimumReferenceGamma)
        #expect(rule.gamma(initialLoss: .nan) == GammaPolicy.minimumReferenceGamma)
        #expect(GammaPolicy.referencePerplexity(vocabularySize: 10).gamma(initialLoss: 1e6) == GammaPolicy.minimumReferenceGamma)  // exp overflows
        for l0 in stride(from: 0.0, through: 5.0, by: 0.01) {
            let g = rule.gamma(initialLoss: l0)
            #expect(g.isFinite && g >= GammaPolicy.minimumReferenceGamma)
        }
        #expect(GammaPolicy.fixed(40).gamma(initialLoss: .nan) == 40)
    }

    @Test func validation() {
        #expect(throws: ScheduleError.self) { try GammaPolicy.fixed(0).validate() }
        #expect(throws: ScheduleError.self) { try GammaPolicy.fixed(.infinity).validate() }
        #expect(throws: ScheduleError.self) { try GammaPolicy.reference(classes: 1).validate() }
        #expect(throws: ScheduleError.self) { try InputNormalisation.perLogVocabulary(1).validate() }
        #expect(throws: ScheduleError.self) { try LearningRateBounds(minimum: 0.5, maximum: 0.1) }
        #expect(throws: ScheduleError.self) { try LearningRateBounds(minimum: -1) }
        #expect(GammaPolicy.paperImages == .fixed(1) && GammaPolicy.paperText == .fixed(40))
    }

    /// L / ln V: 2 / ln 10 000 = 2 / 9.210340 = 0.217147.
    @Test func inputNormalisation() {
        #expect(abs(InputNormalisation.perLogVocabulary(10_000).apply(2) - 0.217147) < 1e-6)
        #expect(InputNormalisation.raw.apply(2.5) == 2.5)
    }
}
