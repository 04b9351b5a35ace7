import { runDiagnosisBench, renderDiagnosis } from './diagnosis.js';
const r = await runDiagnosisBench({ samples: 2, idleMinutes: 10, stormPerMinute: 100, stormMinutes: 1, reactionTimeoutMs: 5000 });
console.log(renderDiagnosis(r).join('\n'));
process.exit(0);
