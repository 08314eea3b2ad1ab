// Writes docs/errors.md from the error catalogue (src/common/errors.ts). test/unit/errors.test.ts
// fails when the file is out of date: run `npm run gen:errors` after adding a code.
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../src/common/errors-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
