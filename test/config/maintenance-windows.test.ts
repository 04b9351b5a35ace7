import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { errorOf, writeConfig } from '../helpers/configFiles.js';

const TARGETS = 'targets:\n  - { name: frigate, namespace: nvr, workload: { kind: Deployment, name: frigate } }\n';
const withWindows = (windows: string) => writeConfig(`${TARGETS}maintenance:\n  windows:\n${windows}`);
const messageOf = (windows: string) => errorOf(() => loadConfig({ path: withWindows(windows), env: {} })).message;

describe('maintenance.windows', () => {
  it('loads recurring windows over nodes or targets, durations in milliseconds, the zone when given', () => {
    const config = loadConfig({
      path: withWindows(
        '    - { name: sunday-reboot, nodes: [node-a, node-b], schedule: "30 2 * * 0", duration: 1h, timeZone: Europe/Berlin }\n' +
          '    - { name: nas, targets: [frigate], schedule: "0 3 1 * *", duration: 2h }\n',
      ),
      env: {},
    });
    expect(config.maintenance.windows).toEqual([
      { name: 'sunday-reboot', nodes: ['node-a', 'node-b'], targets: [], schedule: '30 2 * * 0', duration: 3_600_000, timeZone: 'Europe/Berlin' },
      { name: 'nas', nodes: [], targets: ['frigate'], schedule: '0 3 1 * *', duration: 7_200_000 },
    ]);
  });

  it('defaults to no windows', () => {
    expect(loadConfig({ path: writeConfig(TARGETS), env: {} }).maintenance.windows).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown target', '    - { name: w, targets: [frigate, ghost], schedule: "0 3 * * 0", duration: 1h }\n', /maintenance\.windows\[0\]\.targets\[1\]: is not a configured target/],
    ['both nodes and targets', '    - { name: w, nodes: [node-a], targets: [frigate], schedule: "0 3 * * 0", duration: 1h }\n', /maintenance\.windows\[0\]\.targets: set either nodes or targets, not both/],
    ['neither nodes nor targets', '    - { name: w, schedule: "0 3 * * 0", duration: 1h }\n', /maintenance\.windows\[0\]\.nodes: set either nodes or targets, not both/],
    ['an empty node list', '    - { name: w, nodes: [], schedule: "0 3 * * 0", duration: 1h }\n', /maintenance\.windows\[0\]\.nodes: must list at least one node/],
    ['a node that is no node name', '    - { name: w, nodes: [Node_A], schedule: "0 3 * * 0", duration: 1h }\n', /maintenance\.windows\[0\]\.nodes\[0\]: must be a Kubernetes object name/],
    ['a zero duration', '    - { name: w, nodes: [node-a], schedule: "0 3 * * 0", duration: 0s }\n', /maintenance\.windows\[0\]\.duration: .*longer than zero/],
    ['a duration longer than the period', '    - { name: w, nodes: [node-a], schedule: "0 3 * * *", duration: 25h }\n', /maintenance\.windows\[0\]\.duration: is longer than the 2[34]h between two occurrences of the schedule, so they would overlap/],
    ['a duration longer than the shortest gap of an irregular schedule', '    - { name: w, nodes: [node-a], schedule: "0 3 * * 1,2", duration: 2d }\n', /maintenance\.windows\[0\]\.duration: is longer than the 24h between/],
    ['a daily window longer than the daylight-saving night’s 23h', '    - { name: w, nodes: [node-a], schedule: "0 3 * * *", duration: 23h30m, timeZone: Europe/Berlin }\n', /maintenance\.windows\[0\]\.duration: is longer than the 23h between/],
    ['a schedule with seconds', '    - { name: w, nodes: [node-a], schedule: "*/30 * * * * *", duration: 10s }\n', /maintenance\.windows\[0\]\.schedule: must start on a whole minute/],
    ['a bad schedule', '    - { name: w, nodes: [node-a], schedule: "0 25 * * *", duration: 1h }\n', /maintenance\.windows\[0\]\.schedule: not a valid cron expression/],
    ['an unknown time zone', '    - { name: w, nodes: [node-a], schedule: "0 3 * * 0", duration: 1h, timeZone: Mars/Olympus }\n', /maintenance\.windows\[0\]\.timeZone: must be an IANA time zone/],
    ['a duplicate name', '    - { name: w, nodes: [node-a], schedule: "0 3 * * 0", duration: 1h }\n    - { name: w, nodes: [node-b], schedule: "0 4 * * 0", duration: 1h }\n', /maintenance\.windows\[1\]\.name: duplicate window name \(already used by maintenance\.windows\[0\]\)/],
    ['an unknown key', '    - { name: w, nodes: [node-a], schedule: "0 3 * * 0", duration: 1h, every: week }\n', /maintenance\.windows\[0\]\.every/],
  ])('refuses %s, naming the field', (_, windows, expected) => {
    expect(messageOf(windows)).toMatch(expected);
  });

  it('takes a window exactly as long as the gap between its occurrences', () => {
    expect(loadConfig({ path: withWindows('    - { name: w, nodes: [node-a], schedule: "0 * * * *", duration: 1h }\n'), env: {} }).maintenance.windows).toHaveLength(1);
  });
});
