internal import CLibPQ

/// The rows of one statement's result, in libpq's text format.
///
/// Owns its `PGresult` and frees it on `deinit`. Accessors never crash on
/// out-of-range positions: they answer `nil` (or `true` for `isNull`).
/// Not shared between threads while in use.
public final class PGResult {
    private let handle: OpaquePointer

    /// Takes ownership of `handle`.
    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { PQclear(handle) }

    public var rowCount: Int { Int(PQntuples(handle)) }
    public var columnCount: Int { Int(PQnfields(handle)) }

    /// The column's name, or "" when `column` is out of range.
    public func columnName(_ c: Int) -> String {
        guard c >= 0, c < columnCount, let name = PQfname(handle, Int32(c)) else { return "" }
        return String(cString: name)
    }

    private func inRange(_ row: Int, _ column: Int) -> Bool {
        row >= 0 && row < rowCount && column >= 0 && column < columnCount
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        guard inRange(row, column) else { return true }
        return PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The value's bytes as the server sent them (text format), without copying;
    /// valid only during `body`. `nil` when NULL or out of range.
    public func withValue<T>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return try body(UnsafeRawBufferPointer(start: value, count: max(0, length)))
    }

    /// The value as text; `nil` when NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        withValue(row, column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value parsed as a decimal integer; `nil` when NULL or not an integer.
    public func int(_ row: Int, _ column: Int) -> Int64? {
        withValue(row, column) { raw -> Int64? in
            guard !raw.isEmpty else { return nil }
            var value: Int64 = 0
            var negative = false
            var index = 0
            if raw[0] == UInt8(ascii: "-") || raw[0] == UInt8(ascii: "+") {
                negative = raw[0] == UInt8(ascii: "-")
                index = 1
                guard raw.count > 1 else { return nil }
            }
            while index < raw.count {
                let digit = raw[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = negative
                    ? times10.subtractingReportingOverflow(Int64(digit))
                    : times10.addingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { return nil }
                value = next
                index += 1
            }
            return value
        } ?? nil
    }

    /// `t` → true, `f` → false; `nil` when NULL or anything else.
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        withValue(row, column) { raw -> Bool? in
            guard raw.count == 1 else { return nil }
            switch raw[0] {
            case UInt8(ascii: "t"): return true
            case UInt8(ascii: "f"): return false
            default: return nil
            }
        } ?? nil
    }

    /// The value's bytes as sent (text format: a `bytea` arrives as `\x…` hex).
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        withValue(row, column) { [UInt8]($0) }
    }

    /// The row count of the command tag (`INSERT 0 5` → 5), `nil` when the
    /// command reports none.
    public var commandTuples: Int64? {
        guard let text = PQcmdTuples(handle), text.pointee != 0 else { return nil }
        return Int64(String(cString: text))
    }

    var status: ExecStatusType { PQresultStatus(handle) }

    /// SQLSTATE and primary message of an error result.
    func errorFields() -> (sqlState: String?, message: String) {
        let state = PQresultErrorField(handle, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        if let primary = PQresultErrorField(handle, Int32(UInt8(ascii: "M"))) {
            return (state, String(cString: primary))
        }
        let whole = PQresultErrorMessage(handle).map { String(cString: $0) } ?? ""
        return (state, PGError.oneLine(whole))
    }
}
