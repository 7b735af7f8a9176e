package lambdata.runtime;

import com.amazonaws.services.lambda.runtime.Context;

/** A loaded user handler: the event's bytes in, the result's bytes out. */
interface Handler {
    byte[] invoke(byte[] event, Context context) throws Throwable;
}
