import Foundation

/// Entry points for the libFuzzer harness in `scripts/fuzz/`: each target feeds
/// untrusted bytes to one parser of repository files through the same code the
/// readers run. A fixed key stands in for the repository's, so the bytes after
/// decryption are fuzzed too: a hostile repository holds its own key.
///
/// An input is one mode byte (taken modulo the target's mode count) and the
/// payload. Every failure is handed to `report`, which decides whether it is an
/// acceptable answer to damaged data. Behind an SPI: no other caller.
@_spi(Fuzzing) public enum FuzzingEntryPoints {
    /// Each target and the meaning of its modes.
    public static let targets: [String: [String]] = [
        "sealed": ["SBKF file bytes", "body after decryption (flags byte, then u32le length || zstd)", "snapshot JSON"],
        "pack": ["SBKP file bytes", "u32le file size, then the header entries after decryption", "blob payload after decryption (type, flags, u32le raw length, payload)"],
        "index": ["index segment file bytes", "index JSON after decryption", "keyless pack list (trailer)"],
        "tree": ["tree JSON after decryption"],
        "manifest": ["database manifest JSON after decryption"],
        "config": ["config file bytes"],
        "keyfile": ["key file bytes", "master key JSON after decryption"],
    ]

    /// The stand-in master key (constant, so a corpus stays meaningful).
    public static let key = MasterKey(encKey: SecretBytes([UInt8](repeating: 0x11, count: 32)),
                                      idKey: SecretBytes([UInt8](repeating: 0x22, count: 32)),
                                      chunkerSeed: SecretBytes([UInt8](repeating: 0x33, count: 32)))
    static let salt = [UInt8](repeating: 0x44, count: 32)
    static let passphrase = Array("fuzz".utf8)

    /// Runs one input through `target`; each parse step's error goes to `report`.
    public static func run(_ target: String, _ input: [UInt8], report: (Error) -> Void) {
        guard let modes = targets[target]?.count, let first = input.first else { return }
        let payload = Array(input.dropFirst())
        func step(_ body: () throws -> Void) {
            do { try body() } catch { report(error) }
        }
        switch (target, Int(first) % modes) {
        case ("sealed", 0):
            step { _ = try SealedFile.open(payload, kind: .snapshot, key: key, object: "fuzz") }
            step { _ = try IndexSegment.keylessListing(of: payload, object: "fuzz") }
        case ("sealed", 1):
            let flags = payload.first ?? 0
            step { _ = try SealedFile.open(sealedFile(flags: flags, body: Array(payload.dropFirst())), kind: .snapshot, key: key, object: "fuzz") }
        case ("sealed", 2):
            step { _ = try storedDocument(payload, kind: .snapshot) { repository, id in _ = try repository.loadSnapshot(id) } }
        case ("pack", 0):
            step { try openPack(payload) }
        case ("pack", 1):
            step { try openPackEntries(payload) }
        case ("pack", 2):
            step { try openBlobPayload(payload) }
        case ("index", 0):
            step { try loadSegment(payload) }
            step { _ = try IndexSegment.keylessListing(of: payload, object: "fuzz") }
        case ("index", 1):
            step { try loadSegment(try SealedFile.seal(payload, kind: .index, key: key)) }
        case ("index", 2):
            step { _ = try IndexSegment.keylessListing(of: try SealedFile.seal([], kind: .index, key: key, trailer: payload), object: "fuzz") }
        case ("tree", _):
            step {
                let tree = try FixedBlob(payload).loadTree(.zero)
                for node in tree.nodes { _ = (node.displayName, tree.node(named: node.name)) }
            }
        case ("manifest", _):
            step {
                let manifest = try FixedBlob(payload).loadJSON(DatabaseManifest.self, id: .zero)
                _ = (manifest.referencedBlobs, manifest.tables.map(\.rows), manifest.tables.map(\.bytes), manifest.schema?.pgDumpMajor)
            }
        case ("config", _):
            step { _ = try RepositoryConfig.decode(payload, location: "fuzz") }
        case ("keyfile", 0):
            step {
                let file = try KeyFile.decode(payload, object: "fuzz")
                // scrypt at accepted parameters may take a second and 1 GiB by design; run only cheap ones.
                guard file.parameters.isAcceptable, file.n * file.r * file.p <= 1 << 12 else { return }
                _ = try file.unwrap(passphrase: passphrase, object: "fuzz")
            }
        case ("keyfile", _):
            step { _ = try KeyFile.decode(try keyFile(sealing: payload), object: "fuzz").unwrap(passphrase: passphrase, object: "fuzz") }
        default:
            return
        }
    }

    // MARK: Inputs built around a payload, as the writers would

    /// An SBKF file whose sealed part is `body`, with the header carrying `flags`.
    static func sealedFile(flags: UInt8, body: [UInt8]) throws -> [UInt8] {
        let header = SealedFile.magic + [SealedFile.version, flags] + salt
        let aead = try AESGCM(key: key.fileKey(salt: salt, kind: .snapshot))
        return header + (try aead.seal(body, nonce: AESGCM.nonce(counter: 0), aad: header))
    }

    /// Stores `bytes` under its SHA-256 (sealing them first unless `raw`) and hands the id to `read`.
    static func storedDocument(_ plaintext: [UInt8], kind: FileKind, raw: Bool = false,
                               read: (Repository, ObjectID) throws -> Void) throws {
        let backend = MemoryBackend()
        let repository = try Repository(backend: backend, config: .random(), key: key, keyID: "fuzz")
        let bytes = raw ? plaintext : try SealedFile.seal(plaintext, kind: kind, key: key)
        let id = SHA256.hash(bytes)
        try backend.save(Handle(kind, id), bytes)
        try read(repository, id)
    }

    static func loadSegment(_ bytes: [UInt8]) throws {
        try storedDocument(bytes, kind: .index, raw: true) { repository, id in
            let segment = try IndexSegment.load(backend: repository.backend, name: id.hex, key: key)
            var index = MasterIndex()
            try index.add(segment, name: id, object: "fuzz")
        }
    }

    /// What `verify --read-data` does with a pack: its header, then every blob it lists.
    static func openPack(_ bytes: [UInt8]) throws {
        let header = try Pack.readHeader(of: bytes, key: key, object: "fuzz")
        for entry in header.entries {
            let location = MasterIndex.Location(pack: .zero, salt: header.salt, offset: entry.offset, length: Int(entry.storedLength),
                                                rawLength: Int(entry.rawLength), flags: entry.flags, position: entry.position)
            _ = try Repository.openBlob(Array(bytes[entry.offset..<(entry.offset + Int(entry.storedLength))]), type: entry.type,
                                        id: entry.id, location: location, key: key, object: "fuzz")
        }
    }

    static func openPackEntries(_ payload: [UInt8]) throws {
        guard payload.count >= 4 else { return }
        let fileSize = Int(UInt32(littleEndian: payload, at: 0))
        let entries = Array(payload[4...])
        let prefix = Pack.magic + [Pack.version, 0, 0, 0] + salt
        let aead = try AESGCM(key: key.fileKey(salt: salt, kind: .pack))
        let nonce = AESGCM.nonce(counter: UInt64(max(0, (entries.count - 4) / Pack.entrySize)))
        _ = try Pack.decodeHeader(prefix: prefix, sealedHeader: try aead.seal(entries, nonce: nonce, aad: prefix),
                                  fileSize: fileSize, key: key, object: "fuzz")
    }

    static func openBlobPayload(_ payload: [UInt8]) throws {
        guard payload.count >= 6 else { return }
        let type = BlobType(rawValue: payload[0]) ?? .data
        let flags = payload[1], rawLength = Int(UInt32(littleEndian: payload, at: 2))
        let aead = try AESGCM(key: key.fileKey(salt: salt, kind: .pack))
        let sealed = try aead.seal(Array(payload[6...]), nonce: AESGCM.nonce(counter: 0), aad: Pack.blobAAD(id: .zero, type: type, flags: flags))
        let location = MasterIndex.Location(pack: .zero, salt: salt, offset: Pack.prefixSize, length: sealed.count,
                                            rawLength: rawLength, flags: flags, position: 0)
        _ = try Repository.openBlob(sealed, type: type, id: .zero, location: location, key: key, object: "fuzz")
    }

    /// A key file for `passphrase` at the cheapest accepted scrypt cost, sealing `plaintext` as its master key.
    static func keyFile(sealing plaintext: [UInt8]) throws -> [UInt8] {
        let kdf = KDFParameters(n: 2, r: 1, p: 1)
        let wrapping = try kdf.derive(passphrase: passphrase, salt: salt)
        let sealed = try AESGCM(key: wrapping).seal(plaintext, nonce: AESGCM.nonce(counter: 0), aad: KeyFile.aad)
        return try KeyFile(kdf: "scrypt", n: kdf.n, r: kdf.r, p: kdf.p, salt: Data(salt).base64EncodedString(),
                           masterKey: Data(sealed).base64EncodedString(), created: Date(timeIntervalSince1970: 0),
                           host: "fuzz", user: "fuzz").encoded()
    }

    /// A loader that holds one blob, so the real `loadTree`/`loadJSON` wrap the decoder's errors.
    final class FixedBlob: BlobLoader {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func loadBlob(_ type: BlobType, id: ObjectID) throws -> [UInt8] { bytes }
        func hasBlob(_ type: BlobType, id: ObjectID) -> Bool { true }
    }

    // MARK: Seeds

    /// Seed inputs (target, name, bytes with the mode byte) from a repository
    /// made by the tool: its plaintexts, and its files sealed again with `key`
    /// by the real writers so that they open under the stand-in key.
    public static func seeds(repository path: String, passphrase source: [UInt8]) throws -> [(target: String, name: String, bytes: [UInt8])] {
        let local = LocalBackend(path: path)
        let real = try Repository.open(backend: local, passphrase: source)
        var out: [(String, String, [UInt8])] = []
        func add(_ target: String, _ mode: UInt8, _ name: String, _ bytes: [UInt8]) { out.append((target, name, [mode] + bytes)) }

        add("config", 0, "config", try local.load(Handle(.config, "config")))
        for name in try local.list(.key).map(\.name) { add("keyfile", 0, "key-\(name.prefix(8))", try local.load(Handle(.key, name))) }
        add("keyfile", 0, "key-cheap", try keyFile(sealing: MasterKey.random().encoded()))
        add("keyfile", 1, "master-key", try MasterKey.random().encoded())

        // Copy every tree and manifest, and the smallest data blobs, into a repository under `key`.
        let copy = MemoryBackend()
        let fuzz = try Repository(backend: copy, config: RepositoryConfig(id: real.config.id, packSize: 64 << 10), key: key, keyID: "fuzz")
        let blobs = real.currentIndex.blobsByPack().values.flatMap { $0 }.sorted { $0.location.rawLength < $1.location.rawLength }
        var dataBlobs = 0
        for blob in blobs {
            if blob.key.type == .data { guard dataBlobs < 4 else { continue }; dataBlobs += 1 }
            let plaintext = try real.loadBlob(blob.key.type, id: blob.key.id)
            _ = try fuzz.saveBlob(blob.key.type, bytes: plaintext)
            let short = blob.key.id.short
            switch blob.key.type {
            case .tree: add("tree", 0, "tree-\(short)", plaintext)
            case .manifest: add("manifest", 0, "manifest-\(short)", plaintext)
            case .data: add("pack", 2, "blob-\(short)", [BlobType.data.rawValue, 0] + le32(plaintext.count) + plaintext)
            }
        }
        for record in try real.listSnapshots().snapshots {
            let snapshot = try real.loadSnapshot(record.id)
            add("sealed", 2, "snapshot-\(record.id.short)", try DocumentJSON.encode(snapshot))
            let id = try fuzz.saveSnapshot(snapshot)
            add("sealed", 0, "file-\(id.short)", try copy.load(Handle(.snapshot, id)))
        }
        for name in try copy.list(.index).map(\.name) {
            let file = try copy.load(Handle(.index, name))
            add("index", 0, "file-\(name.prefix(8))", file)
            add("index", 1, "json-\(name.prefix(8))", try DocumentJSON.encode(IndexSegment.load(backend: copy, name: name, key: key)))
            if let trailer = try SealedFile.trailer(of: file, object: name) { add("index", 2, "list-\(name.prefix(8))", trailer) }
            let body = try SealedFile.open(file, kind: .index, key: key, object: name)
            add("sealed", 1, "body-\(name.prefix(8))", [SealedFile.flagCompressed] + le32(body.count) + (try ZstdCompressor(level: 3).compress(body)))
        }
        for (name, size) in try copy.list(.pack).sorted(by: { $0.size < $1.size }).prefix(2) {
            let file = try copy.load(Handle(.pack, name))
            add("pack", 0, "file-\(name.prefix(8))", file)
            let header = try Pack.readHeader(of: file, key: key, object: name)
            add("pack", 1, "entries-\(name.prefix(8))", le32(size) + Pack.encodeEntries(header.entries))
        }
        return out
    }

    static func le32(_ value: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(UInt32(truncatingIfNeeded: value))
        return out
    }
}
