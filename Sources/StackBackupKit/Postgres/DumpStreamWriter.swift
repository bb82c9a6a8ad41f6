import Foundation

/// Turns one dump stream (a COPY part, a schema section, a large object) into
/// data blobs: FastCDC with the database parameters, cuts moved forward to the
/// end of the current record, SHA-256 of the whole stream.
///
/// Records are what the caller appends at once: one COPY row (libpq hands over
/// one row per call), one line of SQL. When FastCDC finds a cut inside a
/// record, the chunk ends with that record instead, so an unchanged row always
/// lands in a chunk that starts at a row boundary, and chunks of unchanged
/// rows dedup night after night whatever changed elsewhere. Only a record that
/// would make the chunk larger than `hardLimit` is cut inside (a 20 MB value).
///
/// Memory: at most one chunk (≤ hardLimit) is buffered. Single owner, one thread.
final class DumpStreamWriter {
    private var chunker: FastCDC
    private let store: BlobSaver
    private let rowAligned: Bool
    private let hardLimit: Int
    private var buffer: [UInt8]
    private var hasher: SHA256Hasher? = SHA256Hasher()

    private(set) var chunks: [ObjectID] = []
    private(set) var bytes: Int64 = 0
    private(set) var records: Int64 = 0
    /// Blobs this stream added to the store and their stored size.
    private(set) var blobsAdded = 0
    private(set) var bytesAdded: Int64 = 0

    /// `rowAligned: false` cuts exactly where FastCDC says (large objects).
    init(store: BlobSaver, parameters: ChunkerParameters, gear: GearTable, rowAligned: Bool = true) {
        chunker = FastCDC(parameters: parameters, gear: gear)
        self.store = store
        self.rowAligned = rowAligned
        hardLimit = rowAligned ? parameters.maxSize * 4 : parameters.maxSize
        buffer = []
        buffer.reserveCapacity(parameters.maxSize + (64 << 10))
    }

    /// Appends one record.
    func append(_ record: UnsafeRawBufferPointer) throws {
        guard record.count > 0 else { return }
        hasher?.update(record)
        bytes += Int64(record.count)
        records += 1
        var offset = 0
        while offset < record.count {
            let rest = UnsafeRawBufferPointer(rebasing: record[offset...])
            guard let cut = chunker.findCut(in: rest) else {
                buffer.append(contentsOf: rest)
                return
            }
            if rowAligned && buffer.count + rest.count <= hardLimit {
                // Move the cut to the record's end; the chunker restarts at the next record.
                buffer.append(contentsOf: rest)
                try emit()
                return
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<cut]))
            try emit()
            offset += cut
        }
    }

    func append(_ record: [UInt8]) throws {
        try record.withUnsafeBytes { try append($0) }
    }

    /// Ends the current chunk here (if it holds anything) and starts the
    /// chunker afresh, so what follows is cut the same whatever came before.
    func cut() throws {
        if !buffer.isEmpty { try emit() }
        chunker.reset()
    }

    /// Stores the last chunk and returns the stream's hex SHA-256.
    func finish() throws -> String {
        if !buffer.isEmpty { try emit() }
        guard let hasher = hasher.take() else { preconditionFailure("DumpStreamWriter.finish called twice") }
        return hasher.finalize().hex
    }

    private func emit() throws {
        let saved = try buffer.withUnsafeBytes { try store.saveBlob(.data, bytes: $0) }
        chunks.append(saved.id)
        if saved.isNew {
            blobsAdded += 1
            bytesAdded += Int64(saved.storedSize)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

extension DumpStreamWriter {
    /// Appends `text` line by line (each line with its '\n' is one record).
    func appendLines(_ text: [UInt8]) throws {
        try text.withUnsafeBytes { raw in
            var start = 0
            for i in 0..<raw.count where raw[i] == UInt8(ascii: "\n") {
                try append(UnsafeRawBufferPointer(rebasing: raw[start...i]))
                start = i + 1
            }
            if start < raw.count { try append(UnsafeRawBufferPointer(rebasing: raw[start...])) }
        }
    }
}
