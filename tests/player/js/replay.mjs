// Replays recorded ABR sessions through the JavaScript port and prints its decisions.
// stdin: {"algorithm": exported class name (default "VodstackAbr"),
//         "sessions": [[{"observe": {...}} | {"decide": {...}, "decision": n}, ...], ...]}
// stdout: {"decisions": [[n, ...], ...], "params": DEFAULT_PARAMS, "policy": POLICY,
//          "learned": LEARNED_CONSTANTS, "adaptive": ADAPTIVE_CONSTANTS,
//          "cruise": CRUISE_CONSTANTS}
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath] = process.argv.slice(2);
const port = await import(pathToFileURL(modulePath).href);
const input = JSON.parse(readFileSync(0, "utf8"));
const Algorithm = port[input.algorithm ?? "VodstackAbr"];
const decisions = input.sessions.map((events) => {
  const abr = new Algorithm();
  const made = [];
  for (const event of events) {
    if ("observe" in event) abr.observe(event.observe);
    else made.push(abr.decide(event.decide));
  }
  return made;
});
process.stdout.write(JSON.stringify({
  decisions, params: port.DEFAULT_PARAMS, policy: port.POLICY, learned: port.LEARNED_CONSTANTS,
  adaptive: port.ADAPTIVE_CONSTANTS, cruise: port.CRUISE_CONSTANTS,
}));
