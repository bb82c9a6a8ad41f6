/// A default policy plus per-source overrides. An override replaces the
/// default entirely for that source (no merging of keys), so what a source
/// keeps can be read off one block of the file.
public struct RetentionPolicySet: Sendable, Equatable {
    public var `default`: RetentionPolicy
    public var perSource: [String: RetentionPolicy]

    public init(default policy: RetentionPolicy, perSource: [String: RetentionPolicy] = [:]) {
        self.default = policy
        self.perSource = perSource
    }

    public func policy(for source: String) -> RetentionPolicy {
        perSource[source] ?? self.default
    }
}
