/// The little XML S3 answers with (list pages, errors, multipart ids), read
/// without a general XML parser: elements of interest are leaf elements whose
/// names do not nest in themselves. Garbage gives empty results, never a crash.
enum S3XML {
    /// The text of every `<tag>…</tag>` in `bytes`, entities decoded.
    static func values(_ tag: String, in bytes: ArraySlice<UInt8>) -> [String] {
        elements(tag, in: bytes).map { decode($0) }
    }

    static func value(_ tag: String, in bytes: ArraySlice<UInt8>) -> String? {
        elements(tag, in: bytes).first.map { decode($0) }
    }

    /// The raw contents of every `<tag>…</tag>` (also `<tag attr="…">`).
    static func elements(_ tag: String, in bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        let open = Array("<\(tag)".utf8)
        let close = Array("</\(tag)>".utf8)
        var out: [ArraySlice<UInt8>] = []
        var i = bytes.startIndex
        while let start = find(open, in: bytes, from: i) {
            var j = start + open.count
            guard j < bytes.endIndex else { break }
            // `<Keyx>` is another element: the name must end here.
            let next = bytes[j]
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: " ") || next == UInt8(ascii: "/") else {
                i = j
                continue
            }
            guard let gt = bytes[j...].firstIndex(of: UInt8(ascii: ">")) else { break }
            if bytes[gt - 1] == UInt8(ascii: "/") { // <tag/>: empty element
                out.append(bytes[gt + 1..<gt + 1])
                i = gt + 1
                continue
            }
            j = gt + 1
            guard let end = find(close, in: bytes, from: j) else { break }
            out.append(bytes[j..<end])
            i = end + close.count
        }
        return out
    }

    private static func find(_ needle: [UInt8], in bytes: ArraySlice<UInt8>, from: Int) -> Int? {
        guard let first = needle.first, needle.count <= bytes.endIndex - from else { return nil }
        var i = from
        let last = bytes.endIndex - needle.count
        while i <= last {
            if bytes[i] == first {
                var k = 1
                while k < needle.count && bytes[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Decodes the five named entities and numeric references.
    static func decode(_ raw: ArraySlice<UInt8>) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        let text = String(decoding: raw, as: UTF8.self)
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let name = rest[rest.index(after: amp)..<semi]
            switch name {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                var scalar: Unicode.Scalar?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if name.hasPrefix("#") {
                    scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init)
                }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += "&\(name);" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        out += rest
        return out
    }

    /// Escapes text for an XML element body.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
