/// A path glob matched against paths relative to a volume root, on bytes.
///
/// - `*` any run of bytes within one path segment, `?` one byte but `/`,
///   `[abc]`, `[a-z]`, `[!x]`/`[^x]` a byte class, `\x` a literal `x`;
/// - `**` as a whole segment: zero or more segments;
/// - a pattern without `/` matches an entry's name at any depth (`*.log`);
///   one with `/` is anchored at the root (`/cache` and `data/tmp` alike);
/// - a trailing `/` matches folders only.
public struct GlobPattern: Sendable, Equatable {
    public let text: String
    private let segments: [[UInt8]]
    private let anchored: Bool
    private let directoriesOnly: Bool

    public init(_ text: String) throws {
        var bytes = Array(text.utf8)
        var directoriesOnly = false
        while bytes.count > 1, bytes.last == 0x2F {
            bytes.removeLast()
            directoriesOnly = true
        }
        guard !bytes.isEmpty, bytes != [0x2F] else {
            throw VolumeError(.invalidPattern, "the pattern \"\(text)\" is empty; give a glob such as `*.tmp` or `cache/**`")
        }
        let anchored = bytes.contains(0x2F)
        if bytes.first == 0x2F { bytes.removeFirst() }
        let segments = bytes.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        for segment in segments where !GlobPattern.classesAreClosed(segment) {
            throw VolumeError(.invalidPattern, "the pattern \"\(text)\" has an unclosed `[`; close it or escape it as `\\[`")
        }
        self.text = text
        self.segments = segments
        self.anchored = anchored
        self.directoriesOnly = directoriesOnly
    }

    /// Whether `path` (relative to the root, `/`-separated, no leading `/`) matches.
    public func matches(_ path: [UInt8], isDirectory: Bool) -> Bool {
        if directoriesOnly && !isDirectory { return false }
        let parts = path.split(separator: 0x2F, omittingEmptySubsequences: true)
        if anchored {
            return GlobPattern.match(segments[...], parts[...])
        }
        guard let last = parts.last else { return false }
        return GlobPattern.matchSegment(segments[0][...], last)
    }

    public func matches(_ path: String, isDirectory: Bool = false) -> Bool {
        matches(Array(path.utf8), isDirectory: isDirectory)
    }

    /// Whether something inside `folder` (relative to the root) may match:
    /// the walker enters an excluded folder only for such a `keep` pattern.
    /// A pattern without `/` never asks to enter one (it would open every
    /// excluded folder); it keeps matching entries of folders walked anyway.
    public func mayMatchInside(_ folder: [UInt8]) -> Bool {
        guard anchored else { return false }
        let parts = folder.split(separator: 0x2F, omittingEmptySubsequences: true)
        return GlobPattern.prefixMatch(segments[...], parts[...])
    }

    /// Whether the segments can match a path that continues below `parts`.
    private static func prefixMatch(_ pattern: ArraySlice<[UInt8]>, _ parts: ArraySlice<ArraySlice<UInt8>>) -> Bool {
        guard let first = pattern.first else { return false }
        if first == [0x2A, 0x2A] { return true }
        guard let part = parts.first else { return true }
        return matchSegment(first[...], part) && prefixMatch(pattern.dropFirst(), parts.dropFirst())
    }

    private static func match(_ pattern: ArraySlice<[UInt8]>, _ parts: ArraySlice<ArraySlice<UInt8>>) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        if first == [0x2A, 0x2A] {
            // `**`: try every number of skipped segments, the fewest first.
            var rest = parts
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let part = parts.first, matchSegment(first[...], part) else { return false }
        return match(pattern.dropFirst(), parts.dropFirst())
    }

    /// Matches one segment with `*`, `?`, `[...]` and `\` escapes (iterative,
    /// backtracking only to the last `*`, so it is linear-ish and never recurses deeply).
    static func matchSegment(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        let p = Array(pattern), n = Array(name)
        var pi = 0, ni = 0
        var starP = -1, starN = 0
        while ni < n.count {
            if pi < p.count {
                switch p[pi] {
                case 0x2A: // *
                    starP = pi
                    starN = ni
                    pi += 1
                    continue
                case 0x3F: // ?
                    pi += 1
                    ni += 1
                    continue
                case 0x5B: // [
                    if let (matched, next) = matchClass(p, pi, n[ni]), matched {
                        pi = next
                        ni += 1
                        continue
                    }
                case 0x5C where pi + 1 < p.count: // \x
                    if p[pi + 1] == n[ni] {
                        pi += 2
                        ni += 1
                        continue
                    }
                default:
                    if p[pi] == n[ni] {
                        pi += 1
                        ni += 1
                        continue
                    }
                }
            }
            guard starP >= 0 else { return false }
            pi = starP + 1
            starN += 1
            ni = starN
        }
        while pi < p.count, p[pi] == 0x2A { pi += 1 }
        return pi == p.count
    }

    /// Matches `byte` against the class starting at `p[start] == '['`; returns
    /// whether it matched and the index after the closing `]`.
    private static func matchClass(_ p: [UInt8], _ start: Int, _ byte: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count, p[i] == 0x21 || p[i] == 0x5E {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < p.count, p[i] != 0x5D || first {
            first = false
            var low = p[i]
            if low == 0x5C, i + 1 < p.count {
                i += 1
                low = p[i]
            }
            var high = low
            if i + 2 < p.count, p[i + 1] == 0x2D, p[i + 2] != 0x5D {
                high = p[i + 2]
                i += 2
            }
            if low <= byte && byte <= high { matched = true }
            i += 1
        }
        guard i < p.count else { return nil }
        return (matched != negate, i + 1)
    }

    private static func classesAreClosed(_ segment: [UInt8]) -> Bool {
        var i = 0
        while i < segment.count {
            if segment[i] == 0x5C { i += 2; continue }
            if segment[i] == 0x5B {
                var j = i + 1
                if j < segment.count, segment[j] == 0x21 || segment[j] == 0x5E { j += 1 }
                if j < segment.count, segment[j] == 0x5D { j += 1 }
                while j < segment.count, segment[j] != 0x5D {
                    if segment[j] == 0x5C { j += 1 }
                    j += 1
                }
                guard j < segment.count else { return false }
                i = j + 1
                continue
            }
            i += 1
        }
        return true
    }
}

/// A set of patterns: matches when any pattern does.
struct GlobSet: Sendable {
    let patterns: [GlobPattern]

    init(_ texts: [String]) throws {
        patterns = try texts.map(GlobPattern.init)
    }

    var isEmpty: Bool { patterns.isEmpty }

    func matches(_ path: [UInt8], isDirectory: Bool) -> Bool {
        patterns.contains { $0.matches(path, isDirectory: isDirectory) }
    }

    func mayMatchInside(_ folder: [UInt8]) -> Bool {
        patterns.contains { $0.mayMatchInside(folder) }
    }

    /// Whether `folder` or a folder above it matches.
    func coversFolder(_ folder: [UInt8]) -> Bool {
        var end = 0
        while end < folder.count {
            end = folder[end...].firstIndex(of: 0x2F) ?? folder.count
            if matches(Array(folder[..<end]), isDirectory: true) { return true }
            end += 1
        }
        return false
    }
}
