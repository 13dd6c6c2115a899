// `--route auto|native|opengl`, taken by every command that uses the device: it sets the route
// of the process's devices (runtime/device.ts), so the drivers the command runs reach the GPU
// the way the user chose.
import { isRoute, ROUTES, setRoute, type Route } from '../../runtime/device.js';
import { UsageError, type ParsedArgs } from './args.js';

/** The --route of a command's arguments (default auto), checked and made the process's route. */
export function applyRoute(args: ParsedArgs): Route {
  const route = (args.flags.get('route') as string | undefined) ?? 'auto';
  if (!isRoute(route)) throw new UsageError(`unknown route "${route}"`, `routes: ${ROUTES.join(', ')}`);
  setRoute(route);
  return route;
}
