import { LambdataError } from '../../shared/errors.js';

/** The bucket does not exist (404). */
export class NoSuchBucket extends LambdataError {
  constructor(readonly bucket: string) {
    super('NoSuchBucket', 'The specified bucket does not exist', 404);
  }
}

/** The key does not exist (404). */
export class NoSuchKey extends LambdataError {
  /** Set when the key's newest version is a delete marker: S3 names it in the answer's headers. */
  readonly deleteMarker?: boolean;
  readonly versionId?: string;
  constructor(
    readonly key: string,
    marker?: { versionId: string },
  ) {
    super('NoSuchKey', 'The specified key does not exist.', 404);
    if (marker) {
      this.deleteMarker = true;
      this.versionId = marker.versionId;
    }
  }
}

/** The bucket still holds objects (409). */
export class BucketNotEmpty extends LambdataError {
  constructor(readonly bucket: string) {
    super('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
  }
}

/** The bucket exists already, and it is ours (409). */
export class BucketAlreadyOwnedByYou extends LambdataError {
  constructor(readonly bucket: string) {
    super(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
    );
  }
}

/** The bucket name breaks S3's naming rules (400). */
export class InvalidBucketName extends LambdataError {
  constructor(readonly bucket: string) {
    super('InvalidBucketName', 'The specified bucket is not valid.', 400);
  }
}

/** The Range header cannot be satisfied by the object's size (416). */
export class InvalidRange extends LambdataError {
  constructor(readonly size: number) {
    super('InvalidRange', 'The requested range is not satisfiable', 416);
  }
}

/** The key is longer than 1024 UTF-8 bytes (400). */
export class KeyTooLongError extends LambdataError {
  constructor() {
    super('KeyTooLongError', 'Your key is too long', 400);
  }
}

/** An argument is malformed (400). */
export class InvalidArgument extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidArgument', message, 400, options);
  }
}

/** The request is not allowed as made, e.g. copying an object onto itself unchanged (400). */
export class InvalidRequest extends LambdataError {
  constructor(message: string) {
    super('InvalidRequest', message, 400);
  }
}

/** The body exceeds the maximum allowed size (400). */
export class EntityTooLarge extends LambdataError {
  constructor(readonly maxSize: number) {
    super('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
  }
}

/** A multipart part other than the last is under 5 MiB (400). */
export class EntityTooSmall extends LambdataError {
  constructor() {
    super('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400);
  }
}

/** A listed part was not uploaded or its ETag does not match (400). */
export class InvalidPart extends LambdataError {
  constructor(readonly partNumber: number) {
    super(
      'InvalidPart',
      "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
    );
  }
}

/** The part list is not in ascending part-number order (400). */
export class InvalidPartOrder extends LambdataError {
  constructor() {
    super(
      'InvalidPartOrder',
      'The list of parts was not in ascending order. Parts must be ordered by part number.',
      400,
    );
  }
}

/** The multipart upload does not exist, or was completed or aborted (404). */
export class NoSuchUpload extends LambdataError {
  constructor(readonly uploadId: string) {
    super(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
    );
  }
}

/** The Content-MD5 given does not match the body received (400). */
export class BadDigest extends LambdataError {
  constructor() {
    super('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  }
}

/** The Content-MD5 given is not a valid base64 MD5 (400). */
export class InvalidDigest extends LambdataError {
  constructor() {
    super('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400);
  }
}

/** A tag set breaks S3's limits (400). */
export class InvalidTag extends LambdataError {
  constructor(message: string) {
    super('InvalidTag', message, 400);
  }
}

/** The version named does not exist (404). */
export class NoSuchVersion extends LambdataError {
  constructor(readonly versionId: string) {
    super('NoSuchVersion', 'The specified version does not exist.', 404);
  }
}

/** The version named is a delete marker, which has no body or tags (405). */
export class DeleteMarkerVersion extends LambdataError {
  /** Headers S3 answers with: the marker's version id. */
  readonly deleteMarker = true;
  constructor(readonly versionId: string) {
    super('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  }
}

/** A part number past the object's parts (416). */
export class InvalidPartNumber extends LambdataError {
  constructor() {
    super('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416);
  }
}
