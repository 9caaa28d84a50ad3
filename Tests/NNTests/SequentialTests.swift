import Testing
import NN
import Tensor

@Suite struct SequentialNaming {
    @Test func emptySequentialHasNoParameters() {
        let s = Sequential([])
        #expect(s.parameters.isEmpty)
    }
}
