/** Grouping metrics of Zhu et al. (ICSE 2019) and pairwise precision / recall, from two labelings of the same messages. */
export function groupingMetrics(truth: string[], predicted: string[]) {
  const pairs = (n: number) => (n * (n - 1)) / 2;
  const byTruth = new Map<string, number[]>(), byPred = new Map<string, number[]>(), joint = new Map<string, number>();
  truth.forEach((t, i) => {
    (byTruth.get(t) ?? byTruth.set(t, []).get(t)!).push(i);
    (byPred.get(predicted[i]) ?? byPred.set(predicted[i], []).get(predicted[i])!).push(i);
    const k = `${t}\u0000${predicted[i]}`;
    joint.set(k, (joint.get(k) ?? 0) + 1);
  });
  // GA: a message is right only if its predicted group is exactly its true group.
  let correct = 0;
  for (const members of byTruth.values()) {
    const p = predicted[members[0]];
    if (members.every((i) => predicted[i] === p) && byPred.get(p)!.length === members.length) correct += members.length;
  }
  let tp = 0;
  for (const n of joint.values()) tp += pairs(n);
  let predPairs = 0, truePairs = 0;
  for (const m of byPred.values()) predPairs += pairs(m.length);
  for (const m of byTruth.values()) truePairs += pairs(m.length);
  // Duplicates caught: a non-first message of a group joined the incident holding the earlier ones.
  let dups = 0, caught = 0;
  for (const members of byTruth.values()) {
    for (let j = 1; j < members.length; j++) {
      dups++;
      if (members.slice(0, j).some((i) => predicted[i] === predicted[members[j]])) caught++;
    }
  }
  const precision = predPairs ? tp / predPairs : 1;
  const recall = truePairs ? tp / truePairs : 1;
  return { ga: correct / truth.length, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, duplicatesCaught: dups ? caught / dups : 1, incidents: byPred.size, groups: byTruth.size };
}
