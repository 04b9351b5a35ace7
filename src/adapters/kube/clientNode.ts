/**
 * The parts of client-node the bot runs on, imported from their own modules rather than from the
 * package's index: the index evaluates every module of the package (typed APIs, the serializer of
 * every model, exec, attach, port-forward…), which a bundle cannot leave out because some of them
 * assign at load time. `test/deploy/bundle.test.ts` checks that the generated API stays out.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { V1MicroTime } from '@kubernetes/client-node/dist/types.js';
