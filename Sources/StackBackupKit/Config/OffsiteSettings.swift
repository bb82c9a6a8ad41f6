import Foundation

/// The `offsite:` section: a second repository (often `s3:https://…`) that
/// `stackbackup run` copies each night's snapshots to, with its own
/// passphrase file and, optionally, its own retention policy.
///
/// ```yaml
/// offsite:
///   repository: s3:https://s3.example.com/backups/stack
///   password_file: /etc/stackbackup/offsite.pass
///   s3_access_key_file: /etc/stackbackup/s3.id      # else AWS_ACCESS_KEY_ID
///   s3_secret_key_file: /etc/stackbackup/s3.secret  # else AWS_SECRET_ACCESS_KEY
///   retention: {keep_daily: 7, keep_weekly: 8, keep_monthly: 24}
/// ```
public struct OffsiteSettings: Sendable {
    public static let keys = ConfigKeys.Offsite.allCases.map(\.rawValue)

    public var repository: String
    public var passwordFile: String?
    /// Forget policy for the offsite repository; nil keeps every copied snapshot.
    public var retention: RetentionPolicySet?
    public var s3AccessKeyFile: String?
    public var s3SecretKeyFile: String?

    public init(repository: String, passwordFile: String? = nil, retention: RetentionPolicySet? = nil) {
        self.repository = repository
        self.passwordFile = passwordFile
        self.retention = retention
    }

    /// S3 credentials from the two key files when both are set, else nil (the environment's).
    public func s3Credentials() throws -> S3Credentials? {
        guard let id = s3AccessKeyFile, let secret = s3SecretKeyFile else { return nil }
        return try S3Credentials(accessKeyFile: id, secretKeyFile: secret)
    }
}

extension ConfigParser {
    func offsite(_ node: YAMLNode, keyNode: YAMLNode, lines: inout [String: Int]) throws -> OffsiteSettings? {
        if reader.isNull(node) { return nil }
        let mapping = try reader.mapping(node, "'offsite'")
        var repository: String?
        var settings = OffsiteSettings(repository: "")
        for entry in try reader.entries(mapping, allowed: ConfigKeys.Offsite.allCases, context: "'offsite'") {
            let key = entry.key.rawValue
            if let line = entry.keyNode.mark?.line { lines["offsite.\(key)"] = line }
            switch entry.key {
            case .repository: repository = try reader.string(entry.value, key).map(resolveLocation)
            case .passwordFile: settings.passwordFile = try path(entry.value, key)
            case .retention: settings.retention = try retention(entry.value, keyNode: entry.keyNode).0
            case .s3AccessKeyFile: settings.s3AccessKeyFile = try path(entry.value, key)
            case .s3SecretKeyFile: settings.s3SecretKeyFile = try path(entry.value, key)
            }
        }
        guard let repository, !repository.isEmpty else {
            throw reader.error(keyNode, "'offsite' needs a 'repository:' (a folder or s3:https://host/bucket/prefix)")
        }
        if (settings.s3AccessKeyFile == nil) != (settings.s3SecretKeyFile == nil) {
            throw reader.error(keyNode, "'offsite' needs both 's3_access_key_file' and 's3_secret_key_file', or neither (then AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are used)")
        }
        settings.repository = repository
        return settings
    }
}
