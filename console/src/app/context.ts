import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/client';
import type { Session } from '../auth';
import type { ConsoleConfig } from '../config';

/** What every signed-in page needs: the API client, the settings, the session and how to end it. */
export interface ConsoleContext {
  api: ApiClient;
  config: ConsoleConfig;
  session: Session;
  signOut: () => void;
  /** Hands a new key's token from the Add page to the list, which shows it revealed once. In memory only. */
  newKeys: Map<string, string>;
}

const Context = createContext<ConsoleContext | null>(null);
export const ConsoleContextProvider = Context.Provider;

export function useConsole(): ConsoleContext {
  const value = useContext(Context);
  if (!value) throw new Error('useConsole outside a signed-in console');
  return value;
}
