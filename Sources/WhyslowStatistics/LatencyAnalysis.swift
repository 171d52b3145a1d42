import WhyslowFeatures

/// One explanatory feature's part in a suspect's critical-path growth.
public struct Finding: Sendable {
  /// The span key and the feature measured (the callee for `network_gap`; for `wait`, the
  /// child key waited for inside the suspect).
  public let column: FeatureColumn
  /// βⱼ: ms of the suspect's critical-path time per unit of the feature (least squares of all
  /// explained suspects on one shared design with endpoint indicators).
  public let coefficient: Double
  /// The coefficient's HC3 standard error.
  public let coefficientStandardError: Double
  /// βⱼ · dⱼ, dⱼ the feature's within-endpoint difference of means, ms, with its delta-method
  /// t test and interval (q-value across all findings).
  public let contribution: Estimate
  /// The contribution as a fraction of the whole gap.
  public let share: Double
  /// Mean of the feature over fast and over slow traces (ms for times).
  public let fastMean: Double
  public let slowMean: Double
  /// A typical slow trace with the feature: the one at its median among those where it is not 0.
  public let exampleSlowTraceID: String

  /// Whether the finding passes the false discovery rate `level`.
  public func isSignificant(at level: Double) -> Bool { contribution.qValue < level }
}

/// What to look at: a span key whose critical-path time grew, or the network to a callee when
/// the key is a client whose growth is mostly its network gap; with the findings that say why.
public struct Suspect: Sendable {
  /// "service operation", or "network to CALLEE from service operation".
  public let name: String
  /// The span key whose critical-path time this is.
  public let key: SpanKey
  /// The callee when the suspect is the network to it.
  public let callee: String?
  /// The callee whose calls this suspect holds when its key's calls are split by callee (a
  /// client operation calling several services); nil for a whole key or the rest of one.
  public let calls: String?
  /// The service to page: the key's, or the callee's for a network suspect.
  public let service: String
  /// Its within-endpoint difference of mean critical-path time, ms (exact accounting: the
  /// suspects sum to the within-endpoint gap), with interval and test of "grew or shrank by
  /// more than the minimum effect" (q across suspects).
  public let contribution: Estimate
  /// The contribution as a fraction of the gap (`LatencyAnalysis.sharedGapMillis`).
  public let share: Double
  /// Cov(critical-path time, latency) / Var(latency) over the slow batch: its share of what
  /// makes slow traces differ from each other. These sum to 1 over all suspects.
  public let varianceShare: Double
  /// Mean critical-path time over fast and over slow traces, ms.
  public let fastMean: Double
  public let slowMean: Double
  /// The findings that explain the growth, largest contribution first.
  public let explanation: [Finding]
  /// contribution − Σ findings: what its own features do not account for, ms.
  public let remainderMillis: Double
  /// Whether it grew by significantly more than the minimum effect, at the false discovery
  /// rate: then its 95% interval lies wholly above the minimum effect.
  public let isSignificant: Bool
  /// A typical slow trace to open: the one at the median of this key's critical-path time among
  /// the slow traces it is on (not the most extreme).
  public let exampleSlowTraceID: String
  /// A typical fast trace with this key, chosen alike among the fast traces it is on.
  public let exampleFastTraceID: String
}

/// A service's total: the summed growth of its suspects (only positive contributions count,
/// so a service that got faster somewhere is not credited for it).
public struct ServiceTotal: Sendable, Equatable {
  public let service: String
  public let contributionMillis: Double
  public let share: Double
}

/// A suspect's critical-path time in both batches, as quantiles for a distribution chart,
/// over the traces where it is on the critical path at all (most traces never call most keys).
public struct SuspectDistribution: Sendable {
  /// The suspect's name (`Suspect.name`) and key.
  public let name: String
  public let key: SpanKey
  /// The 0%, 1%, ..., 100% quantiles over those fast and those slow traces, ms.
  public let fastQuantiles: [Double]
  public let slowQuantiles: [Double]
  /// The share of fast and of slow traces where it is on the critical path.
  public let fastShareOnPath: Double
  public let slowShareOnPath: Double
}

/// The answer to "why is the slow batch slower", with how sure it is.
public struct LatencyAnalysis: Sendable {
  public let fastTraces: Int
  public let slowTraces: Int
  public let fastMeanLatencyMillis: Double
  public let slowMeanLatencyMillis: Double
  /// The gap Δ = mean(slow) − mean(fast) with its Welch t interval and two-sided test.
  public let gap: Estimate
  /// The minimum effect a suspect's growth is tested against, ms.
  public let minimumEffectMillis: Double
  /// The part of the gap within entry points W, weighted by the slow batch's mix, with its
  /// stratified Welch t interval and test: what the suspects add up to.
  public let withinEndpointGap: Estimate
  /// Entry points with their share of fast and slow traces, most slow traces first.
  public let endpointMix: [(endpoint: SpanKey, fastShare: Double, slowShare: Double)]
  /// The one ranking every output shows: suspects by contribution, largest first.
  public let suspects: [Suspect]
  /// Services by their suspects' growth, largest first: the service-level answer.
  public let services: [ServiceTotal]
  /// The first suspects that grew, each split by the values of the attributes that vary on its
  /// key, with each value's growth tested like a suspect's.
  public let attributeBreakdown: [AttributeBreakdownRow]
  /// The critical-path distributions of the first suspects that grew (up to five).
  public let distributions: [SuspectDistribution]
  /// Each endpoint's median-latency trace in each batch (a typical trace), for timelines.
  public let typicalTraces: [(endpoint: SpanKey, fast: String, slow: String)]
  /// Span keys whose self-time grew off the critical path, largest first (they do not slow
  /// requests; the outputs name them so that no growth seen in a trace viewer goes unexplained).
  public let offPathGrowth: [OffPathGrowth]
  /// The false discovery rate findings are judged at.
  public let falseDiscoveryRate: Double
  /// What limits how far the answer can be trusted, in plain words.
  public let caveats: [String]

  /// The mean latency gap Δ = mean(slow) − mean(fast), ms.
  public var gapMillis: Double { slowMeanLatencyMillis - fastMeanLatencyMillis }
  /// W, ms.
  public var withinEndpointGapMillis: Double { withinEndpointGap.value }
  /// The part of the gap due to the slow batch's different mix of entry points.
  public var endpointMixMillis: Double { gapMillis - withinEndpointGapMillis }
  /// Whether any suspect is significant.
  public var hasSignificantSuspect: Bool { suspects.contains { $0.isSignificant } }
  /// Whether the slow batch is significantly slower: Δ's 95% interval lies above 0, or W's
  /// does (requests of the same endpoints are slower, though a noisy mix of endpoints hides it
  /// in Δ).
  public var isSignificantlySlower: Bool { Self.slowerBy(gap: gap, within: withinEndpointGap) != nil }
  /// Whether only W is significantly above 0, not Δ: then shares and the minimum effect are of W.
  public var isSlowerOnlyWithinEndpoints: Bool { !(gap.low > 0) && withinEndpointGap.low > 0 }
  /// The gap shares are taken of: Δ, or W when only W is significant.
  public var sharedGapMillis: Double { Self.slowerBy(gap: gap, within: withinEndpointGap) ?? gapMillis }

  /// The gap shares and the minimum effect are taken of: Δ when it is significantly above 0,
  /// else W when it is; nil when neither is (the slow batch is not significantly slower).
  static func slowerBy(gap: Estimate, within: Estimate) -> Double? {
    gap.low > 0 ? gap.value : within.low > 0 ? within.value : nil
  }
  /// What `--fail-on-suspect` fails on: the slow batch is significantly slower and a suspect
  /// grew significantly by more than the minimum effect. Never for a faster batch or noise.
  public var failsGate: Bool { isSignificantlySlower && hasSignificantSuspect }
}

/// The smallest growth worth acting on: a suspect is starred only when its growth is
/// significantly larger than this (the test's null hypothesis is |growth| ≤ it).
public enum MinimumEffect: Sendable, Equatable {
  /// A fixed number of milliseconds.
  case millis(Double)
  /// A share of the gap Δ (of 0 when the slow batch is not slower).
  case shareOfGap(Double)

  /// The default, 5% of the gap: the share below which the ranking calls a suspect not
  /// material (docs/statistics.md, "Reading significance", for how it was chosen).
  public static let standard = MinimumEffect.shareOfGap(0.05)

  /// In milliseconds, for a gap of `gap` ms.
  public func millis(gap: Double) -> Double {
    switch self {
    case .millis(let value): return value
    case .shareOfGap(let share): return share * max(gap, 0)
    }
  }
}

/// How the analysis runs.
public struct AnalysisOptions: Sendable {
  /// Suspects and findings with a Benjamini–Hochberg q-value below this are significant.
  public var falseDiscoveryRate = 0.05
  /// The growth a suspect must significantly exceed to be starred.
  public var minimumEffect = MinimumEffect.standard
  /// The suspects with the largest growth whose growth is explained by their features.
  public var explainedSuspects = 20
  /// At most this many feature columns in the shared explanatory design.
  public var explanatoryColumns = 60

  public init(
    falseDiscoveryRate: Double = 0.05, minimumEffect: MinimumEffect = .standard, explainedSuspects: Int = 20,
    explanatoryColumns: Int = 60
  ) {
    self.falseDiscoveryRate = falseDiscoveryRate
    self.minimumEffect = minimumEffect
    self.explainedSuspects = explainedSuspects
    self.explanatoryColumns = explanatoryColumns
  }
}

/// A batch too small to analyze.
public enum StatisticsError: Error, Equatable, CustomStringConvertible {
  /// Each batch needs at least `needed` traces.
  case tooFewTraces(fast: Int, slow: Int, needed: Int)

  public var description: String {
    switch self {
    case .tooFewTraces(let fast, let slow, let needed):
      let pair =
        fast == 1 && slow == 1
        ? "; for one trace against another, `whyslow diff FAST SLOW` answers exactly" : ""
      return
        "too few traces for a trustworthy answer: \(fast) fast and \(slow) slow; each batch "
        + "needs at least \(needed)\(pair)"
    }
  }
}
