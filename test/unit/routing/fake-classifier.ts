import type { ClassifierVerdict, ClassifyRequest, TierClassifier } from "../../../shared/routing/classifier.js";
import type { Tier } from "../../../shared/routing/tier.js";

/**
 * A {@link TierClassifier} for tests: answers `answer` (a tier, null for "no tier", or an Error to throw) and
 * records every request it got.
 */
export class FakeClassifier implements TierClassifier {
  readonly requests: ClassifyRequest[] = [];

  constructor(private readonly answer: Tier | null | Error) {}

  async classify(request: ClassifyRequest): Promise<ClassifierVerdict> {
    this.requests.push(request);
    if (this.answer instanceof Error) throw this.answer;
    return { tier: this.answer, model: "fake-fast", usage: { inputTokens: 50, outputTokens: 1 }, cached: false };
  }
}
