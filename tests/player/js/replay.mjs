// Replays recorded ABR sessions through the JavaScript port and prints its decisions.
// stdin: {"sessions": [[{"observe": {...}} | {"decide": {...}, "decision": n}, ...], ...]}
// stdout: {"decisions": [[n, ...], ...], "params": DEFAULT_PARAMS}
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath] = process.argv.slice(2);
const { VodstackAbr, DEFAULT_PARAMS } = await import(pathToFileURL(modulePath).href);
const input = JSON.parse(readFileSync(0, "utf8"));
const decisions = input.sessions.map((events) => {
  const abr = new VodstackAbr();
  const made = [];
  for (const event of events) {
    if ("observe" in event) abr.observe(event.observe);
    else made.push(abr.decide(event.decide));
  }
  return made;
});
process.stdout.write(JSON.stringify({ decisions, params: DEFAULT_PARAMS }));
