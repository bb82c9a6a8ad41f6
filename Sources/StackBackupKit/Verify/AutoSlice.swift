import Foundation

/// The nightly `--read-data-subset auto` slice: packs are split into
/// `slices` classes by their id (as `ReadDataSelection.slice` does) and day
/// `d` reads class `(d + offset) mod slices`, where the offset comes from the
/// repository id. So any seven consecutive days read every pack once, and two
/// machines checking the same repository on the same day read the same slice.
public enum AutoSlice {
    public static let defaultSlices = 7

    /// Days since 1970-01-01 in `timeZone` (a "day" turns at local midnight).
    public static func day(of date: Date, timeZone: TimeZone = .current) -> Int {
        let seconds = date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))
        return Int((seconds / 86_400).rounded(.down))
    }

    /// The slice that `day` reads in the repository with this id.
    public static func sliceIndex(repositoryID: String, day: Int, slices: Int = defaultSlices) -> Int {
        guard slices > 1 else { return 0 }
        let offset = Int(SHA256.hash(Array(repositoryID.utf8)).w0 % UInt64(slices))
        let raw = (day % slices + offset) % slices
        return raw < 0 ? raw + slices : raw
    }

    /// The selection for `day`.
    public static func selection(repositoryID: String, day: Int, slices: Int = defaultSlices) -> ReadDataSelection {
        .slice(index: sliceIndex(repositoryID: repositoryID, day: day, slices: slices), of: max(1, slices))
    }

    /// The packs `day` reads, in the given order.
    public static func select(packs: [ObjectID], repositoryID: String, day: Int, slices: Int = defaultSlices) -> [ObjectID] {
        let chosen = selection(repositoryID: repositoryID, day: day, slices: slices)
        return packs.filter { chosen.includes($0) }
    }
}

extension ReadDataSelection {
    /// `.auto` becomes the repository's slice for its day; others are unchanged.
    public func resolved(repositoryID: String) -> ReadDataSelection {
        if case let .auto(day) = self { return AutoSlice.selection(repositoryID: repositoryID, day: day) }
        return self
    }

    /// The slice read, as (index, count), when the selection is one.
    public var slice: (index: Int, of: Int)? {
        if case let .slice(index, count) = self { return (index, count) }
        return nil
    }
}
