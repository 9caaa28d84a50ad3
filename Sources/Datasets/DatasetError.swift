/// A data file that could not be used, with the file and what is wrong with it.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable, Sendable {
        case unreadable        // missing, a directory, permission denied
        case badMagic          // not the format the loader expects
        case truncated         // fewer bytes than the header promises
        case wrongSize         // header or record sizes differ from the format's
        case labelOutOfRange   // a label outside 0..<classes
        case mismatch          // two files that must agree (e.g. images and labels) do not
        case notUTF8           // text that is not valid UTF-8
        case compressed        // a corrupt gzip stream
        case tooLarge          // would need more memory than the limit (see `MemoryBudget`)
    }
    public var kind: Kind
    public var path: String
    public var detail: String

    public init(_ kind: Kind, path: String, _ detail: String) {
        self.kind = kind; self.path = path; self.detail = detail
    }

    public var description: String { "\(path): \(detail)" }
}
