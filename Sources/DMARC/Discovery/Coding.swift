// Flat JSON for the enums with associated values: `{"kind": "record", "record": {…}}` rather than
// Swift's default `{"record": {"_0": {…}}}`, so programs reading `--format json` see documented fields.

import DNSCore

private enum FlatKeys: String, CodingKey {
    case kind, texts, record, error, failure, reason
}

extension TreeWalk.Outcome {
    /// The `kind` value in JSON.
    public var kind: String {
        switch self {
        case .nxdomain: "nxdomain"
        case .nodata: "nodata"
        case .noDMARCRecord: "noDMARCRecord"
        case .record: "record"
        case .invalidRecord: "invalidRecord"
        case .multipleRecords: "multipleRecords"
        case .nameTooLong: "nameTooLong"
        case .temporaryError: "temporaryError"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FlatKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .nxdomain, .nodata, .nameTooLong: break
        case .noDMARCRecord(let texts), .multipleRecords(let texts): try container.encode(texts, forKey: .texts)
        case .record(let record): try container.encode(record, forKey: .record)
        case .invalidRecord(let error): try container.encode(error, forKey: .error)
        case .temporaryError(let failure): try container.encode(failure, forKey: .failure)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlatKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "nxdomain": self = .nxdomain
        case "nodata": self = .nodata
        case "nameTooLong": self = .nameTooLong
        case "noDMARCRecord": self = .noDMARCRecord(try container.decode([String].self, forKey: .texts))
        case "multipleRecords": self = .multipleRecords(try container.decode([String].self, forKey: .texts))
        case "record": self = .record(try container.decode(DMARCRecord.self, forKey: .record))
        case "invalidRecord": self = .invalidRecord(try container.decode(DMARCRecordError.self, forKey: .error))
        case "temporaryError": self = .temporaryError(try container.decode(DNSError.self, forKey: .failure))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown outcome \(other)")
        }
    }
}

extension PolicyDiscovery.Status {
    /// The `kind` value in JSON.
    public var kind: String {
        switch self {
        case .found: "found"
        case .noRecord: "noRecord"
        case .notApplied: "notApplied"
        case .temporaryError: "temporaryError"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FlatKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .found, .noRecord: break
        case .notApplied(let reason): try container.encode(reason, forKey: .reason)
        case .temporaryError(let failure): try container.encode(failure, forKey: .failure)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlatKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "found": self = .found
        case "noRecord": self = .noRecord
        case "notApplied": self = .notApplied(try container.decode(DMARCRecord.Processing.Reason.self, forKey: .reason))
        case "temporaryError": self = .temporaryError(try container.decode(DNSError.self, forKey: .failure))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown status \(other)")
        }
    }
}

extension DMARCRecord.Processing {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FlatKeys.self)
        switch self {
        case .apply: try container.encode("apply", forKey: .kind)
        case .treatAsNone(let reason):
            try container.encode("treatAsNone", forKey: .kind)
            try container.encode(reason, forKey: .reason)
        case .skip(let reason):
            try container.encode("skip", forKey: .kind)
            try container.encode(reason, forKey: .reason)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FlatKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "apply": self = .apply
        case "treatAsNone": self = .treatAsNone(try container.decode(Reason.self, forKey: .reason))
        case "skip": self = .skip(try container.decode(Reason.self, forKey: .reason))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown processing \(other)")
        }
    }
}
