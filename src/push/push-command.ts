/** The commands a backend sends on the text port, by `type`: GatewayWorker's `Gateway::` API. */
export const PushCommand = {
  Send: 'send',
  SendToUid: 'sendToUid',
  SendToClient: 'sendToClient',
  SendToGroup: 'sendToGroup',
  SendToAll: 'sendToAll',
  BindUid: 'bindUid',
  UnbindUid: 'unbindUid',
  JoinGroup: 'joinGroup',
  LeaveGroup: 'leaveGroup',
  Ungroup: 'ungroup',
  SetSession: 'setSession',
  UpdateSession: 'updateSession',
  CloseClient: 'closeClient',
  IsOnline: 'isOnline',
  IsUidOnline: 'isUidOnline',
  GetClientIdByUid: 'getClientIdByUid',
  GetUidByClientId: 'getUidByClientId',
  GetClientIdListByGroup: 'getClientIdListByGroup',
  GetClientCountByGroup: 'getClientCountByGroup',
  GetUidListByGroup: 'getUidListByGroup',
  GetUidCountByGroup: 'getUidCountByGroup',
  GetAllClientIdList: 'getAllClientIdList',
  GetAllClientCount: 'getAllClientCount',
  GetAllUidList: 'getAllUidList',
  GetAllUidCount: 'getAllUidCount',
  GetAllGroupIdList: 'getAllGroupIdList',
  GetSession: 'getSession',
} as const;

const COMMANDS: ReadonlySet<string> = new Set(Object.values(PushCommand));

/** Whether `type` is a backend command, which browsers may never send. */
export function isPushCommand(type: string): boolean {
  return COMMANDS.has(type);
}
