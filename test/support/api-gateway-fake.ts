import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * API Gateway's API keys and usage plan keys as the SDK answers for them (no API Gateway runs
 * offline): what exists, so the real adapter's calls are checked by their effect. `latencyMs`
 * makes each usage plan key call take a random time up to it, so concurrent callers interleave.
 * `oneUsagePlanPerKey` refuses a key a second usage plan (ConflictException), as API Gateway does
 * for two usage plans of the same API stage.
 */
export function fakeApiGateway(options: { latencyMs?: number; oneUsagePlanPerKey?: boolean } = {}) {
  const latency = <I, O>(act: (input: I) => O) =>
    options.latencyMs
      ? async (input: I) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * options.latencyMs!));
          return act(input);
        }
      : act;
  const keys = new Map<string, { id: string; name: string; value: string }>();
  const members = new Set<string>();
  const mock = mockClient(APIGatewayClient);
  mock.on(GetApiKeysCommand).callsFake((input) => ({
    items: [...keys.values()].filter((key) => key.name.startsWith(input.nameQuery ?? '')),
  }));
  mock.on(CreateApiKeyCommand).callsFake((input) => {
    const key = { id: `key-${keys.size + 1}`, name: input.name, value: input.value };
    keys.set(key.id, key);
    return key;
  });
  mock.on(CreateUsagePlanKeyCommand).callsFake(
    latency((input: { usagePlanId?: string; keyId?: string }) => {
      const member = `${input.usagePlanId}/${input.keyId}`;
      if (members.has(member)) throw new ConflictException({ message: 'exists', $metadata: {} });
      if (options.oneUsagePlanPerKey && [...members].some((other) => other.endsWith(`/${input.keyId}`))) {
        throw new ConflictException({ message: 'API Key cannot reference multiple Usage Plans with the same API Stage', $metadata: {} });
      }
      members.add(member);
      return { id: input.keyId };
    }),
  );
  mock.on(DeleteUsagePlanKeyCommand).callsFake(
    latency((input: { usagePlanId?: string; keyId?: string }) => {
      if (!members.delete(`${input.usagePlanId}/${input.keyId}`)) throw new NotFoundException({ message: 'none', $metadata: {} });
      return {};
    }),
  );
  return { keys, members, mock };
}
