// Calls `qiss serve` through the client that @hey-api/openapi-ts generated from the served
// /api/openapi.json into ./generated (tests/client/generated_client.test.mjs). Compiled with
// `tsc --strict` together with the generated code: a call that does not match the description
// (an operation, parameter or field renamed) fails to compile.
import { getImage, health, searchImage, searchText, similarImages } from './generated';
import { client } from './generated/client.gen';
import type { Health, SearchResponse } from './generated';

export interface Answers {
    health: Health;
    text: SearchResponse;
    similar: SearchResponse;
    byId: SearchResponse;
    missingStatus: number;
    missingError: string;
}

export async function run(baseUrl: string, text: string): Promise<Answers> {
    client.setConfig({ baseUrl });
    const h = await health({ throwOnError: true });
    const t = await searchText({ query: { q: text, k: 3 }, throwOnError: true });
    const first = t.data.results[0].id;
    const s = await similarImages({ path: { id: first }, query: { k: 2 }, throwOnError: true });
    const b = await searchImage({ body: { id: first }, query: { k: 2 }, throwOnError: true });
    const missing = await getImage({ path: { id: 987654 } });
    return {
        health: h.data,
        text: t.data,
        similar: s.data,
        byId: b.data,
        missingStatus: missing.response.status,
        missingError: missing.error?.error ?? '',
    };
}
